ALTER TABLE guests ADD CONSTRAINT guests_email_key UNIQUE (email);
