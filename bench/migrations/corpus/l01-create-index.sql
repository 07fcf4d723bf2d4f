CREATE INDEX bookings_guest_idx ON bookings (guest_id);
