REINDEX INDEX bookings_guest_idx;
