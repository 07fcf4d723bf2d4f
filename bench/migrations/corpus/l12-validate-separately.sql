ALTER TABLE bookings VALIDATE CONSTRAINT bookings_guest_fk;
