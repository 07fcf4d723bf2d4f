ALTER TABLE bookings DROP CONSTRAINT bookings_guest_link;
