ALTER TABLE bookings ADD COLUMN notes text;
