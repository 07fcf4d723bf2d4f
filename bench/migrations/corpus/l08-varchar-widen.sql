ALTER TABLE guests ALTER COLUMN email TYPE varchar(400);
