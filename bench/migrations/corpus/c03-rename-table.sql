ALTER TABLE guests RENAME TO customers;
