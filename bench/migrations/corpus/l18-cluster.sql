CLUSTER bookings USING bookings_pkey;
