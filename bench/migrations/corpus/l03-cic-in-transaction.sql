CREATE INDEX CONCURRENTLY IF NOT EXISTS bookings_guest_idx ON bookings (guest_id);
