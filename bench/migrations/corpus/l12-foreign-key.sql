ALTER TABLE bookings ADD CONSTRAINT bookings_guest_fk FOREIGN KEY (guest_id) REFERENCES guests (id);
