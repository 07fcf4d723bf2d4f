DO $$
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN loyalty_tier int NOT NULL DEFAULT 0', 'guests');
END
$$;
