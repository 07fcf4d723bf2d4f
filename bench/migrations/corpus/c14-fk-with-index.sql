ALTER TABLE payments ADD CONSTRAINT payments_booking_fk FOREIGN KEY (booking_id) REFERENCES bookings (id) NOT VALID;
