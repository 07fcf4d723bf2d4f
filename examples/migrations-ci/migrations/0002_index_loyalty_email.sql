-- dbrs:no-transaction
-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS loyalty_accounts_guest_email_idx ON loyalty_accounts (guest_email);
-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS loyalty_accounts_guest_email_idx;
