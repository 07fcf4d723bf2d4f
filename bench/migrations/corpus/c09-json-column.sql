ALTER TABLE bookings ADD COLUMN extras json;
