VACUUM FULL bookings;
