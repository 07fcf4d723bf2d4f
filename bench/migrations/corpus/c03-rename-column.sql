ALTER TABLE guests RENAME COLUMN phone TO phone_number;
