ALTER TABLE bookings ADD COLUMN seq bigserial;
