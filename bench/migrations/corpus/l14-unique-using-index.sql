ALTER TABLE guests ADD CONSTRAINT guests_email_key UNIQUE USING INDEX guests_email_idx;
