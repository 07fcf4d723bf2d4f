ALTER TABLE bookings ADD COLUMN created_at timestamptz DEFAULT now();
