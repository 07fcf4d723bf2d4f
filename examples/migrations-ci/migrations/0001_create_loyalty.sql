-- migrate:up
CREATE TABLE loyalty_accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  guest_email text NOT NULL,
  points integer NOT NULL DEFAULT 0
);
-- migrate:down
DROP TABLE loyalty_accounts;
