DROP INDEX bookings_guest_idx;
