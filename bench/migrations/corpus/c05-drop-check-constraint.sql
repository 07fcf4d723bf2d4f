ALTER TABLE bookings DROP CONSTRAINT bookings_nights_positive;
