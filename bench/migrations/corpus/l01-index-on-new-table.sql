CREATE TABLE invoices (id bigint PRIMARY KEY, booking_id bigint);
CREATE INDEX invoices_booking_idx ON invoices (booking_id);
