DROP TABLE IF EXISTS guests CASCADE;
CREATE TABLE guests (id bigint PRIMARY KEY, email text);
