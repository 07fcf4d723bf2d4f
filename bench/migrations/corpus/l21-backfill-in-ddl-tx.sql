ALTER TABLE bookings ADD COLUMN status text;
UPDATE bookings SET status = 'new';
