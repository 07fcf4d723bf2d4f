ALTER TABLE bookings ADD CONSTRAINT nights_positive CHECK (nights > 0) NOT VALID;
