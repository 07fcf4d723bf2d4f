ALTER TABLE bookings ALTER COLUMN nights TYPE bigint;
