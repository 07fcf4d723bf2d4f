import { describe, expect, it } from 'vitest';
import { type LintOptions, lintRules, lintSql } from '../src/index.js';

interface Case {
  unsafe: string;
  safe: string;
  options?: LintOptions;
  /** Options for the safe form when they differ (e.g. a newer server, a catalog fact). */
  safeOptions?: LintOptions;
}

/** One unsafe and one safe statement per rule (the safe one is usually the rule's own advice). */
const CASES: Record<string, Case> = {
  'require-concurrent-index-creation': {
    unsafe: 'CREATE INDEX i ON t (a);',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
    options: { transactional: false },
  },
  'require-concurrent-index-deletion': {
    unsafe: 'DROP INDEX i;',
    safe: 'DROP INDEX CONCURRENTLY IF EXISTS i;',
    options: { transactional: false },
  },
  'ban-concurrently-in-transaction': {
    unsafe: 'CREATE INDEX CONCURRENTLY i ON t (a);',
    safe: 'CREATE INDEX i ON new_t (a);',
    options: { knownNewTables: ['new_t'] },
  },
  'require-concurrent-reindex': {
    unsafe: 'REINDEX TABLE t;',
    safe: 'REINDEX TABLE CONCURRENTLY t;',
    options: { transactional: false },
  },
  'adding-field-with-volatile-default': {
    unsafe: 'ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid();',
    safe: "ALTER TABLE t ADD COLUMN c text DEFAULT 'x';",
  },
  'adding-stored-generated-column': {
    unsafe: 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED;',
    safe: 'ALTER TABLE t ADD COLUMN c int;',
  },
  'adding-serial-or-identity-column': {
    unsafe: 'ALTER TABLE t ADD COLUMN id bigserial;',
    safe: 'ALTER TABLE t ADD COLUMN id bigint;',
  },
  'changing-column-type': {
    unsafe: 'ALTER TABLE t ALTER COLUMN c TYPE bigint;',
    safe: 'ALTER TABLE t ALTER COLUMN c TYPE varchar(200);',
    options: { catalog: { notNullChecks: [], columnTypes: { 'public.t.c': 'character varying(100)' } } },
  },
  'alter-type-with-check-constraint': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT c_pos CHECK (c > 0) NOT VALID; ALTER TABLE t ALTER COLUMN c TYPE bigint;',
    safe: 'ALTER TABLE t ALTER COLUMN c TYPE bigint;',
  },
  'setting-not-null': {
    unsafe: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;',
    safe: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;',
    safeOptions: { catalog: { notNullChecks: ['public.t.c'] } },
  },
  'constraint-missing-not-valid': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0);',
    safe: 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID;',
  },
  'adding-foreign-key-constraint': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u_id) REFERENCES u (id);',
    safe: 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID;',
  },
  'validate-in-same-transaction': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT ck;',
    safe: 'ALTER TABLE t VALIDATE CONSTRAINT ck;',
  },
  'disallowed-unique-constraint': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT u UNIQUE (c);',
    safe: 'ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX t_c_idx;',
  },
  'adding-primary-key': {
    unsafe: 'ALTER TABLE t ADD PRIMARY KEY (id);',
    safe: 'ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx;',
    // USING INDEX is safe once the key columns are NOT NULL (else PostgreSQL sets NOT NULL with a scan).
    safeOptions: {
      catalog: { notNullChecks: [], indexColumns: { 'public.t_id_idx': ['id'] }, notNullColumns: ['public.t.id'] },
    },
  },
  'adding-exclusion-constraint': {
    unsafe: 'ALTER TABLE t ADD CONSTRAINT ex EXCLUDE USING gist (r WITH &&);',
    safe: 'CREATE TABLE n (r int4range, EXCLUDE USING gist (r WITH &&));',
  },
  'require-concurrent-partition-detach': {
    unsafe: 'ALTER TABLE p DETACH PARTITION p1;',
    safe: 'ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;',
    options: { transactional: false },
  },
  'require-statement-timeout': {
    unsafe: 'ALTER TABLE t ALTER COLUMN c TYPE bigint;',
    safe: "SET LOCAL statement_timeout = '30s'; ALTER TABLE t ALTER COLUMN c TYPE bigint;",
  },
  'prefer-repack': { unsafe: 'VACUUM FULL t;', safe: 'VACUUM t;', options: { transactional: false } },
  'require-lock-timeout': {
    unsafe: 'ALTER TABLE t ADD COLUMN c int;',
    safe: "SET lock_timeout = '2s'; ALTER TABLE t ADD COLUMN c int;",
  },
  'statements-after-access-exclusive': {
    unsafe: 'ALTER TABLE t ADD COLUMN c int; ALTER TABLE u ADD COLUMN d int;',
    safe: 'ALTER TABLE t ADD COLUMN c int; ALTER TABLE t ADD COLUMN d int;',
  },
  'backfill-in-ddl-transaction': {
    unsafe: 'ALTER TABLE t ADD COLUMN c int; UPDATE t SET c = 0;',
    safe: 'UPDATE t SET c = 0 WHERE id < 1000;',
  },
  'multiple-scanning-alters': {
    unsafe: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL; ALTER TABLE t ALTER COLUMN b SET NOT NULL;',
    safe: 'ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET NOT NULL;',
  },
  'ban-domain-constraint': {
    unsafe: 'ALTER DOMAIN d ADD CONSTRAINT pos CHECK (VALUE > 0);',
    safe: 'CREATE DOMAIN d AS int;',
  },
  'ban-truncate-cascade': { unsafe: 'TRUNCATE t CASCADE;', safe: 'TRUNCATE t;' },
  'concurrent-index-corruption-pg14': {
    unsafe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
    options: { transactional: false, serverVersion: '14.2' },
    safeOptions: { transactional: false, serverVersion: '14.4' },
  },
  'ban-drop-column': { unsafe: 'ALTER TABLE t DROP COLUMN c;', safe: 'ALTER TABLE t ADD COLUMN c int;' },
  'ban-drop-table': { unsafe: 'DROP TABLE t;', safe: 'CREATE TABLE scratch (id int); DROP TABLE scratch;' },
  'renaming-column-or-table': {
    unsafe: 'ALTER TABLE t RENAME COLUMN a TO b;',
    safe: 'ALTER TABLE n RENAME COLUMN a TO b;',
    options: { knownNewTables: ['n'] },
  },
  'ban-drop-not-null': {
    unsafe: 'ALTER TABLE t ALTER COLUMN c DROP NOT NULL;',
    safe: 'ALTER TABLE t ALTER COLUMN c SET DEFAULT 0;',
  },
  'adding-unique-index-on-existing-data': {
    unsafe: 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON t (c);',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS u ON t (c);',
    options: { transactional: false },
  },
  'adding-required-field': {
    unsafe: 'ALTER TABLE t ADD COLUMN c int NOT NULL;',
    safe: 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;',
  },
  'prefer-jsonb': { unsafe: 'CREATE TABLE n (doc json);', safe: 'CREATE TABLE n (doc jsonb);' },
  'require-enum-value-ordering': {
    unsafe: "ALTER TYPE mood ADD VALUE 'meh';",
    safe: "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';",
  },
  'enum-add-value-in-transaction': {
    unsafe: "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';",
    safe: "ALTER TYPE mood ADD VALUE 'meh' AFTER 'ok';",
    options: { serverVersion: 11 },
    safeOptions: { serverVersion: 12, transactional: false },
  },
  'table-rewrite-set-storage': { unsafe: 'ALTER TABLE t SET LOGGED;', safe: 'ALTER TABLE t SET (fillfactor = 90);' },
  'refresh-matview-blocking': {
    unsafe: 'REFRESH MATERIALIZED VIEW mv;',
    safe: 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv;',
  },
  'prefer-robust-stmts': {
    unsafe: 'CREATE INDEX CONCURRENTLY i ON t (a);',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
    options: { transactional: false },
  },
  'transaction-nesting': { unsafe: 'BEGIN; CREATE TABLE n (id int); COMMIT;', safe: 'CREATE TABLE n (id int);' },
  'ban-uncommitted-transaction': {
    unsafe: 'BEGIN; CREATE TABLE n (id int);',
    safe: 'BEGIN; CREATE TABLE n (id int); COMMIT;',
    options: { transactional: false },
  },
  'identifier-too-long': {
    unsafe: `CREATE TABLE ${'x'.repeat(64)} (id int);`,
    safe: `CREATE TABLE ${'x'.repeat(63)} (id int);`,
  },
  'prefer-bigint-over-int': {
    unsafe: 'CREATE TABLE n (id int PRIMARY KEY);',
    safe: 'CREATE TABLE n (id bigint PRIMARY KEY);',
  },
  'prefer-identity': {
    unsafe: 'CREATE TABLE n (id bigserial PRIMARY KEY);',
    safe: 'CREATE TABLE n (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);',
  },
  'prefer-text-field': { unsafe: 'CREATE TABLE n (name varchar(40));', safe: 'CREATE TABLE n (name text);' },
  'ban-char-field': { unsafe: 'CREATE TABLE n (code char(2));', safe: 'CREATE TABLE n (code text);' },
  'foreign-key-without-index': {
    unsafe: 'CREATE TABLE invoices (id bigint PRIMARY KEY, booking_id bigint REFERENCES bookings (id));',
    safe: 'CREATE TABLE invoices (id bigint PRIMARY KEY, booking_id bigint REFERENCES bookings (id));\nCREATE INDEX invoices_booking ON invoices (booking_id);',
  },
  'prefer-timestamptz': { unsafe: 'CREATE TABLE n (at timestamp);', safe: 'CREATE TABLE n (at timestamptz);' },
  'dropping-foreign-key': {
    unsafe: 'ALTER TABLE t DROP CONSTRAINT t_u_id_fkey;',
    // The catalog says this one is a CHECK, whatever its name suggests.
    safe: 'ALTER TABLE t DROP CONSTRAINT t_u_id_fkey;',
    safeOptions: { catalog: { notNullChecks: [], constraints: { 'public.t.t_u_id_fkey': 'c' } } },
  },
  'require-table-schema': {
    unsafe: 'ALTER TABLE bookings ADD COLUMN note text;',
    safe: 'ALTER TABLE public.bookings ADD COLUMN note text;',
    options: { enabledRules: ['require-table-schema'] },
  },
  'naming-convention': {
    unsafe: 'CREATE TABLE "Guests" (id bigint);',
    safe: 'CREATE TABLE guests (id bigint);',
  },
  'index-too-many-columns': {
    unsafe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a, b, c, d);',
    safe: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a, b, c) INCLUDE (d);',
    options: { transactional: false },
  },
  'column-alignment-padding': {
    unsafe: 'CREATE TABLE n (id bigint, active boolean, created_at timestamptz);',
    safe: 'CREATE TABLE n (id bigint, created_at timestamptz, active boolean);',
  },
  'creating-enum': {
    unsafe: "CREATE TYPE mood AS ENUM ('ok', 'meh');",
    safe: 'CREATE TABLE moods (code text PRIMARY KEY);',
  },
  'opaque-procedural-code': {
    unsafe: "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN x int'; END $$;",
    safe: 'ALTER TABLE t ADD COLUMN x int;',
  },
  'ban-duplicate-column-assignments': {
    unsafe: 'UPDATE t SET a = 1, a = 2 WHERE id < 10;',
    safe: 'UPDATE t SET a[1] = 1, a[2] = 2 WHERE id < 10;',
  },
};

const rulesOf = async (sql: string, options?: LintOptions) => (await lintSql(sql, options)).map((f) => f.rule);

describe('lint rules', () => {
  it('every rule has a case', () => {
    expect(lintRules.map((r) => r.id).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const rule of lintRules) {
    const c = CASES[rule.id]!;
    it(`${rule.id}: flags the unsafe form and names a lock or a safer alternative`, async () => {
      const findings = (await lintSql(c.unsafe, c.options)).filter((f) => f.rule === rule.id);
      expect(findings.length).toBeGreaterThan(0);
      expect(findings[0]!.line).toBe(1);
      expect(findings[0]!.message.length).toBeGreaterThan(40);
    });
    it(`${rule.id}: accepts the safe form`, async () => {
      expect(await rulesOf(c.safe, c.safeOptions ?? c.options)).not.toContain(rule.id);
    });
  }

  it('has ids, severities and anchors for every rule', () => {
    for (const r of lintRules) {
      expect(r.id).toMatch(/^[a-z0-9-]+$/);
      expect(['error', 'warning', 'info']).toContain(r.severity);
      expect(r.anchor).toMatch(/^(L\d+|C\d+|H)$/);
    }
    expect(new Set(lintRules.map((r) => r.id)).size).toBe(lintRules.length);
  });
});

describe('lint messages name the lock', () => {
  it.each([
    ['CREATE INDEX i ON t (a);', 'require-concurrent-index-creation', /SHARE lock/],
    ['ALTER TABLE t ALTER COLUMN c SET NOT NULL;', 'setting-not-null', /ACCESS EXCLUSIVE/],
    [
      'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);',
      'adding-foreign-key-constraint',
      /SHARE ROW EXCLUSIVE.*public\.t.*public\.u/,
    ],
  ])('%s', async (sql, rule, pattern) => {
    const f = (await lintSql(sql)).find((x) => x.rule === rule);
    expect(f?.message).toMatch(pattern);
  });
});
