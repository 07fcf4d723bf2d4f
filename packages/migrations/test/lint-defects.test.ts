// Issue #14 §1: one test per defect found by running the peers' published suites.
// Each was written first and failed against the linter as it was.
import { describe, expect, it } from 'vitest';
import { type LintFinding, type LintOptions, lintMigrations, lintSql } from '../src/index.js';

const rules = (f: LintFinding[]) => f.map((x) => x.rule).sort();
const severityOf = (f: LintFinding[], rule: string) => f.find((x) => x.rule === rule)?.severity;
const typeRule = (f: LintFinding[]) => rules(f).filter((r) => r === 'changing-column-type');
const catalogTypes = (types: Record<string, string>): LintOptions => ({
  catalog: { notNullChecks: [], columnTypes: types },
});

describe('option values in DefElems', () => {
  it('VACUUM (FULL FALSE) is a plain vacuum; VACUUM (FULL), (FULL true), (FULL 1) are not', async () => {
    expect(rules(await lintSql('VACUUM (FULL FALSE) t;', { transactional: false }))).toEqual([]);
    expect(rules(await lintSql('VACUUM (FULL off) t;', { transactional: false }))).toEqual([]);
    expect(rules(await lintSql('VACUUM (FULL 0) t;', { transactional: false }))).toEqual([]);
    for (const on of ['VACUUM (FULL) t;', 'VACUUM (FULL TRUE) t;', 'VACUUM (FULL 1) t;', 'VACUUM FULL t;']) {
      expect(rules(await lintSql(on, { transactional: false })), on).toContain('prefer-repack');
    }
  });

  it('REINDEX (CONCURRENTLY false) is a blocking REINDEX, also inside a transaction', async () => {
    const out = await lintSql('REINDEX (CONCURRENTLY false) TABLE t;', { transactional: false });
    expect(rules(out)).toContain('require-concurrent-reindex');
    const inTx = await lintSql('REINDEX (CONCURRENTLY false) TABLE t;');
    expect(rules(inTx)).not.toContain('ban-concurrently-in-transaction');
    expect(rules(inTx)).toContain('require-concurrent-reindex');
    const conc = await lintSql('REINDEX (CONCURRENTLY true) TABLE t;', { transactional: false });
    expect(rules(conc)).not.toContain('require-concurrent-reindex');
  });

  it('the lock-mode lookups read the value too (require-lock-timeout sees the ACCESS EXCLUSIVE)', async () => {
    const out = await lintSql('REINDEX (CONCURRENTLY false) TABLE t;', { transactional: false });
    expect(out.find((f) => f.rule === 'require-lock-timeout')?.message).toContain('ACCESS EXCLUSIVE');
    expect(rules(await lintSql('VACUUM (FULL false) t;', { transactional: false }))).not.toContain(
      'require-lock-timeout',
    );
  });
});

describe('relabel-only type changes', () => {
  it('timestamp → timestamp(6) and interval → interval(6) (the maximum precision) keep the data', async () => {
    expect(
      typeRule(
        await lintSql(
          'ALTER TABLE t ALTER COLUMN c TYPE timestamp(6);',
          catalogTypes({ 'public.t.c': 'timestamp without time zone' }),
        ),
      ),
    ).toEqual([]);
    expect(
      typeRule(
        await lintSql('ALTER TABLE t ALTER COLUMN c TYPE interval(6);', catalogTypes({ 'public.t.c': 'interval' })),
      ),
    ).toEqual([]);
    expect(
      typeRule(
        await lintSql('ALTER TABLE t ALTER COLUMN c TYPE interval(6);', catalogTypes({ 'public.t.c': 'interval(3)' })),
      ),
    ).toEqual([]);
  });

  it('a narrower precision is still a rewrite, and the message prints the type as written', async () => {
    const out = await lintSql(
      'ALTER TABLE t ALTER COLUMN c TYPE interval(2);',
      catalogTypes({ 'public.t.c': 'interval(6)' }),
    );
    expect(typeRule(out)).toEqual(['changing-column-type']);
    expect(out[0]!.message).toContain('interval(2)');
    expect(out[0]!.message).not.toContain('32767');
  });

  it('text / varchar ↔ citext are binary coercible (casts declared by the citext extension)', async () => {
    for (const [from, to] of [
      ['text', 'citext'],
      ['character varying(20)', 'citext'],
      ['citext', 'text'],
      ['citext', 'varchar'],
    ] as const) {
      const out = await lintSql(`ALTER TABLE t ALTER COLUMN c TYPE ${to};`, catalogTypes({ 'public.t.c': from }));
      expect(typeRule(out), `${from} → ${to}`).toEqual([]);
    }
    const narrowed = await lintSql(
      'ALTER TABLE t ALTER COLUMN c TYPE varchar(10);',
      catalogTypes({ 'public.t.c': 'citext' }),
    );
    expect(typeRule(narrowed)).toEqual(['changing-column-type']);
  });

  it('timestamptz ↔ timestamp: relabel both ways under TimeZone UTC (PG12+), a warning when TimeZone is unknown', async () => {
    for (const [from, to] of [
      ['timestamp with time zone', 'timestamp'],
      ['timestamp without time zone', 'timestamptz'],
    ] as const) {
      const unknown = await lintSql(`ALTER TABLE t ALTER COLUMN c TYPE ${to};`, catalogTypes({ 'public.t.c': from }));
      expect(unknown.map((f) => [f.rule, f.severity])).toContainEqual(['changing-column-type', 'warning']);
      expect(unknown.find((f) => f.rule === 'changing-column-type')!.message).toContain('TimeZone');
      const utc = await lintSql(`ALTER TABLE t ALTER COLUMN c TYPE ${to};`, {
        ...catalogTypes({ 'public.t.c': from }),
        timeZone: 'UTC',
      });
      expect(
        rules(utc).filter((r) => r === 'changing-column-type'),
        `${from} → ${to}`,
      ).toEqual([]);
      const berlin = await lintSql(`ALTER TABLE t ALTER COLUMN c TYPE ${to};`, {
        ...catalogTypes({ 'public.t.c': from }),
        timeZone: 'Europe/Berlin',
      });
      expect(severityOf(berlin, 'changing-column-type')).toBe('error');
      const pg11 = await lintSql(`ALTER TABLE t ALTER COLUMN c TYPE ${to};`, {
        ...catalogTypes({ 'public.t.c': from }),
        timeZone: 'UTC',
        serverVersion: 11,
      });
      expect(severityOf(pg11, 'changing-column-type')).toBe('error');
    }
  });
});

describe('scans that were missed', () => {
  it('a CHECK inside ADD COLUMN scans the table', async () => {
    const out = await lintSql('ALTER TABLE t ADD COLUMN b bigint CHECK (b > 0);');
    expect(rules(out)).toContain('constraint-missing-not-valid');
    expect(severityOf(out, 'constraint-missing-not-valid')).toBe('error');
    expect(rules(await lintSql('ALTER TABLE n ADD COLUMN b bigint CHECK (b > 0);', { knownNewTables: ['n'] }))).toEqual(
      [],
    );
  });

  it('ADD PRIMARY KEY USING INDEX on a nullable column sets NOT NULL with a scan', async () => {
    const nullable = await lintSql('ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id_idx;', {
      catalog: { notNullChecks: [], indexColumns: { 'public.t_id_idx': ['id'] }, notNullColumns: [] },
    });
    expect(severityOf(nullable, 'adding-primary-key')).toBe('error');
    const notNull = await lintSql('ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id_idx;', {
      catalog: { notNullChecks: [], indexColumns: { 'public.t_id_idx': ['id'] }, notNullColumns: ['public.t.id'] },
    });
    expect(rules(notNull)).not.toContain('adding-primary-key');
    // Index and nullability from earlier migrations of the same run.
    const run = await lintMigrations([
      { name: '1', sql: 'ALTER TABLE t ADD COLUMN id2 bigint;' },
      { name: '2', sql: '-- dbrs:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_id2_idx ON t (id2);' },
      { name: '3', sql: 'ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id2_idx;' },
    ]);
    expect(run.filter((f) => f.rule === 'adding-primary-key').map((f) => [f.migration, f.severity])).toEqual([
      ['3', 'error'],
    ]);
    const proven = await lintMigrations([
      { name: '1', sql: 'ALTER TABLE t ADD COLUMN id2 bigint NOT NULL DEFAULT 0;' },
      { name: '2', sql: '-- dbrs:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_id2_idx ON t (id2);' },
      { name: '3', sql: 'ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id2_idx;' },
    ]);
    expect(rules(proven)).not.toContain('adding-primary-key');
  });

  it('a backfill of the table the transaction holds ACCESS EXCLUSIVE on is an error', async () => {
    const out = await lintSql(
      'ALTER TABLE t ADD CONSTRAINT c_pos CHECK (c > 0) NOT VALID;\nUPDATE t SET c = 1 WHERE c IS NULL;',
    );
    expect(severityOf(out, 'backfill-in-ddl-transaction')).toBe('error');
    expect(out.find((f) => f.rule === 'backfill-in-ddl-transaction')!.message).toContain('public.t');
  });
});

describe('severities follow one principle', () => {
  const errorCases: Array<[string, string, LintOptions?]> = [
    [
      'validate-in-same-transaction',
      'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c;',
    ],
    ['require-concurrent-reindex', 'REINDEX TABLE t;', { transactional: false }],
    ['require-concurrent-reindex', 'REINDEX INDEX i;', { transactional: false }],
    [
      'alter-type-with-check-constraint',
      'ALTER TABLE t ALTER COLUMN c TYPE bigint;',
      { catalog: { notNullChecks: [], checkedColumns: ['public.t.c'] } },
    ],
    ['require-concurrent-index-deletion', 'DROP INDEX i;', { transactional: false }],
    ['require-concurrent-partition-detach', 'ALTER TABLE p DETACH PARTITION p1;', { serverVersion: 14 }],
    ['refresh-matview-blocking', 'REFRESH MATERIALIZED VIEW mv;'],
    ['table-rewrite-set-storage', 'ALTER TABLE t SET LOGGED;'],
    ['ban-domain-constraint', 'ALTER DOMAIN d ADD CONSTRAINT pos CHECK (VALUE > 0);'],
  ];
  it.each(errorCases)('%s is an error: %s', async (rule, sql, options) => {
    expect(severityOf(await lintSql(sql, options), rule)).toBe('error');
  });

  it('DROP INDEX of an index created in this run on a new table is not reported', async () => {
    const out = await lintSql('CREATE TABLE n (a int); CREATE INDEX n_a ON n (a); DROP INDEX n_a;');
    expect(rules(out)).not.toContain('require-concurrent-index-deletion');
  });

  it('DETACH PARTITION before PostgreSQL 14 (no CONCURRENTLY form) stays a warning', async () => {
    expect(
      severityOf(
        await lintSql('ALTER TABLE p DETACH PARTITION p1;', { serverVersion: 13 }),
        'require-concurrent-partition-detach',
      ),
    ).toBe('warning');
  });

  it('ALTER DOMAIN ADD CONSTRAINT NOT VALID is not an error; CREATE DOMAIN with CHECK is the documented warning', async () => {
    expect(rules(await lintSql('ALTER DOMAIN d ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;'))).not.toContain(
      'ban-domain-constraint',
    );
    expect(severityOf(await lintSql('CREATE DOMAIN d AS int CHECK (VALUE > 0);'), 'ban-domain-constraint')).toBe(
      'warning',
    );
  });
});

describe('name-only matching and transaction shape', () => {
  it('ALTER TYPE … RENAME VALUE is not an ADD VALUE', async () => {
    const out = await lintSql("ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';", { serverVersion: 11 });
    expect(rules(out)).not.toContain('enum-add-value-in-transaction');
    expect(rules(out)).not.toContain('require-enum-value-ordering');
  });

  it('now(123) is not the built-in now(); a schema-qualified now() is not either', async () => {
    expect(
      rules(await lintSql('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();', { lockTimeoutManaged: true })),
    ).toEqual([]);
    expect(
      rules(
        await lintSql('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT pg_catalog.now();', { lockTimeoutManaged: true }),
      ),
    ).toEqual([]);
    expect(rules(await lintSql('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now(123);'))).toContain(
      'adding-field-with-volatile-default',
    );
    expect(rules(await lintSql('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT app.now();'))).toContain(
      'adding-field-with-volatile-default',
    );
  });

  it('a stray second COMMIT is reported', async () => {
    const out = await lintSql('BEGIN;\nALTER TABLE t ADD COLUMN c int;\nCOMMIT;\nCOMMIT;', { transactional: false });
    const stray = out.filter((f) => f.rule === 'transaction-nesting');
    expect(stray.map((f) => f.line)).toEqual([4]);
  });

  it('statement_timeout: long, strongly locking statements without one are reported unless the runner sets it', async () => {
    const sql = 'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);';
    expect(rules(await lintSql(sql, { lockTimeoutManaged: true }))).toContain('require-statement-timeout');
    expect(
      rules(await lintSql(`SET LOCAL statement_timeout = '5s';\n${sql}`, { lockTimeoutManaged: true })),
    ).not.toContain('require-statement-timeout');
    expect(rules(await lintSql(sql, { lockTimeoutManaged: true, statementTimeoutManaged: true }))).not.toContain(
      'require-statement-timeout',
    );
    // A catalog-only change is short: no statement_timeout needed.
    expect(rules(await lintSql('ALTER TABLE t ADD COLUMN c int;', { lockTimeoutManaged: true }))).not.toContain(
      'require-statement-timeout',
    );
  });
});

describe('the no-transaction directive in text given to the API', () => {
  const cic = '-- dbrs:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);';
  it('lintMigrations and lintSql honour it', async () => {
    expect(rules(await lintMigrations([{ name: 'm', sql: cic }]))).toEqual([]);
    expect(rules(await lintSql(cic))).toEqual([]);
  });
  it('an explicit transactional option wins', async () => {
    expect(rules(await lintMigrations([{ name: 'm', sql: cic, transactional: true }]))).toContain(
      'ban-concurrently-in-transaction',
    );
    expect(rules(await lintSql(cic, { transactional: true }))).toContain('ban-concurrently-in-transaction');
  });
  it('only the up section is linted, with file line numbers', async () => {
    const out = await lintSql(
      '-- migrate:up\nALTER TABLE t DROP COLUMN c;\n-- migrate:down\nALTER TABLE t ADD COLUMN c int NOT NULL;',
      {
        lockTimeoutManaged: true,
      },
    );
    expect(out.map((f) => [f.rule, f.line])).toEqual([['ban-drop-column', 2]]);
  });
  it('a misplaced directive is a finding, not an exception', async () => {
    const out = await lintSql('SELECT 1;\n-- dbrs:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);');
    expect(rules(out)).toContain('invalid-directive');
  });
});
