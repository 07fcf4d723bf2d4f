ALTER TABLE guests ADD COLUMN loyalty_tier text NOT NULL;
