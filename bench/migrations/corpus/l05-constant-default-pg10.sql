ALTER TABLE bookings ADD COLUMN status text DEFAULT 'new';
