ALTER TABLE bookings ADD COLUMN token uuid DEFAULT gen_random_uuid();
