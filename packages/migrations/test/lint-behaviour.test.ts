import { describe, expect, it } from 'vitest';
import { formatFindingsHuman, formatFindingsJson, lintMigrations, lintSql } from '../src/index.js';

const rules = async (sql: string, options?: Parameters<typeof lintSql>[1]) =>
  (await lintSql(sql, options)).map((f) => f.rule);

describe('server-version awareness', () => {
  it('a constant default rewrites before PG11 only', async () => {
    const sql = "ALTER TABLE t ADD COLUMN c text DEFAULT 'x';";
    expect(await rules(sql, { serverVersion: 10 })).toContain('adding-field-with-volatile-default');
    expect(await rules(sql, { serverVersion: 11 })).not.toContain('adding-field-with-volatile-default');
    expect(await rules(sql, { serverVersion: 150018 })).not.toContain('adding-field-with-volatile-default');
  });

  it('a volatile default rewrites on every version; now() does not', async () => {
    expect(
      await rules('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();', { serverVersion: 17 }),
    ).toContain('adding-field-with-volatile-default');
    expect(await rules('ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();', { serverVersion: 17 })).not.toContain(
      'adding-field-with-volatile-default',
    );
    expect(await rules('ALTER TABLE t ADD COLUMN c int DEFAULT my_func();')).toContain(
      'adding-field-with-volatile-default',
    );
  });

  it('SET NOT NULL after a validated CHECK is safe from PG12, not on PG11', async () => {
    const catalog = { notNullChecks: ['public.t.c'] };
    expect(await rules('ALTER TABLE t ALTER COLUMN c SET NOT NULL;', { serverVersion: 12, catalog })).not.toContain(
      'setting-not-null',
    );
    expect(await rules('ALTER TABLE t ALTER COLUMN c SET NOT NULL;', { serverVersion: 11, catalog })).toContain(
      'setting-not-null',
    );
  });

  it('suggests NOT NULL NOT VALID on PG18', async () => {
    const f = (await lintSql('ALTER TABLE t ALTER COLUMN c SET NOT NULL;', { serverVersion: 18 })).find(
      (x) => x.rule === 'setting-not-null',
    );
    expect(f?.message).toMatch(/NOT NULL "c" NOT VALID/);
  });

  it('DETACH CONCURRENTLY is only advised from PG14', async () => {
    const old = (await lintSql('ALTER TABLE p DETACH PARTITION p1;', { serverVersion: 13 })).find(
      (x) => x.rule === 'require-concurrent-partition-detach',
    );
    const cur = (await lintSql('ALTER TABLE p DETACH PARTITION p1;', { serverVersion: 14 })).find(
      (x) => x.rule === 'require-concurrent-partition-detach',
    );
    // #14: an error from 14 on (a CONCURRENTLY form exists); before, a catalog-only change with no alternative.
    expect(old?.severity).toBe('warning');
    expect(cur?.severity).toBe('error');
  });

  it('binary-coercible type changes are accepted when the old type is known', async () => {
    const catalog = {
      notNullChecks: [],
      columnTypes: { 'public.t.v': 'character varying(20)', 'public.t.n': 'numeric(10,2)', 'public.t.i': 'integer' },
    };
    expect(await rules('ALTER TABLE t ALTER COLUMN v TYPE text;', { catalog })).not.toContain('changing-column-type');
    expect(await rules('ALTER TABLE t ALTER COLUMN v TYPE varchar(10);', { catalog })).toContain(
      'changing-column-type',
    );
    expect(await rules('ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2);', { catalog })).not.toContain(
      'changing-column-type',
    );
    expect(await rules('ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3);', { catalog })).toContain(
      'changing-column-type',
    );
    expect(await rules('ALTER TABLE t ALTER COLUMN i TYPE bigint;', { catalog })).toContain('changing-column-type');
    const unknown = (await lintSql('ALTER TABLE t ALTER COLUMN x TYPE text;')).find(
      (f) => f.rule === 'changing-column-type',
    );
    expect(unknown?.severity).toBe('warning');
  });

  it('rejects an unreadable version', async () => {
    await expect(lintSql('SELECT 1', { serverVersion: 'banana' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('transaction awareness', () => {
  it('CONCURRENTLY is an error inside the runner transaction or an explicit BEGIN, fine outside', async () => {
    expect(await rules('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', { transactional: true })).toContain(
      'ban-concurrently-in-transaction',
    );
    expect(await rules('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', { transactional: false })).not.toContain(
      'ban-concurrently-in-transaction',
    );
    expect(
      await rules('BEGIN; CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a); COMMIT;', { transactional: false }),
    ).toContain('ban-concurrently-in-transaction');
    expect(
      await rules('BEGIN; COMMIT; CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', { transactional: false }),
    ).not.toContain('ban-concurrently-in-transaction');
  });

  it('VALIDATE in its own no-transaction statement after a committed NOT VALID is fine', async () => {
    const sql = 'ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT ck;';
    expect(await rules(sql, { transactional: true })).toContain('validate-in-same-transaction');
    expect(await rules(sql, { transactional: false })).not.toContain('validate-in-same-transaction');
  });

  it('lock_timeout is not demanded when the runner manages it', async () => {
    expect(await rules('ALTER TABLE t ADD COLUMN c int;', { lockTimeoutManaged: true })).not.toContain(
      'require-lock-timeout',
    );
  });
});

describe('sequence awareness', () => {
  it('a table created by an earlier migration of the run counts as new', async () => {
    const findings = await lintMigrations([
      { name: '001', sql: 'CREATE TABLE rooms (id bigint PRIMARY KEY, floor int);' },
      {
        name: '002',
        sql: 'CREATE INDEX rooms_floor ON rooms (floor);\nALTER TABLE rooms ALTER COLUMN floor SET NOT NULL;',
      },
    ]);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    const alone = await lintSql('CREATE INDEX rooms_floor ON rooms (floor);');
    expect(alone.map((f) => f.rule)).toContain('require-concurrent-index-creation');
  });

  it('a CHECK (col IS NOT NULL) validated by an earlier migration makes SET NOT NULL safe', async () => {
    const findings = await lintMigrations([
      { name: '001', sql: 'ALTER TABLE guests ADD CONSTRAINT guests_email_nn CHECK (email IS NOT NULL) NOT VALID;' },
      { name: '002', sql: 'ALTER TABLE guests VALIDATE CONSTRAINT guests_email_nn;' },
      {
        name: '003',
        sql: 'ALTER TABLE guests ALTER COLUMN email SET NOT NULL;\nALTER TABLE guests DROP CONSTRAINT guests_email_nn;',
      },
    ]);
    expect(findings.map((f) => f.rule)).not.toContain('setting-not-null');
    const unvalidated = await lintMigrations([
      { name: '001', sql: 'ALTER TABLE guests ADD CONSTRAINT guests_email_nn CHECK (email IS NOT NULL) NOT VALID;' },
      { name: '003', sql: 'ALTER TABLE guests ALTER COLUMN email SET NOT NULL;' },
    ]);
    const f = unvalidated.find((x) => x.rule === 'setting-not-null');
    expect(f?.migration).toBe('003');
  });

  it('reports a syntax error with its line and keeps linting the next migration', async () => {
    const findings = await lintMigrations([
      { name: '001', sql: 'CREATE TABLE a (id int);\n\nCREATE TABLEE b (id int);' },
      { name: '002', sql: 'TRUNCATE a CASCADE;' },
    ]);
    expect(findings.find((f) => f.rule === 'syntax-error')).toMatchObject({ migration: '001', line: 3 });
    expect(findings.find((f) => f.rule === 'ban-truncate-cascade')?.migration).toBe('002');
  });

  it('validates its input', async () => {
    await expect(lintMigrations([{ name: 'x' } as never])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('suppression and output', () => {
  it('-- dbrs-lint-ignore with a reason silences the named rule on the next statement only', async () => {
    const sql = [
      '-- dbrs-lint-ignore require-concurrent-index-creation: lookup table with 12 rows',
      'CREATE INDEX a_i ON a (x);',
      'CREATE INDEX b_i ON b (x);',
    ].join('\n');
    const f = await lintSql(sql, { lockTimeoutManaged: true, statementTimeoutManaged: true });
    expect(f.map((x) => [x.rule, x.line])).toEqual([['require-concurrent-index-creation', 3]]);
  });

  it('a suppression without a reason is itself an error and is not applied', async () => {
    const f = await lintSql('-- dbrs-lint-ignore ban-truncate-cascade\nTRUNCATE t CASCADE;', {
      lockTimeoutManaged: true,
    });
    expect(f.map((x) => x.rule).sort()).toEqual(['ban-truncate-cascade', 'invalid-suppression']);
  });

  it('lines are right after multi-byte text and comments', async () => {
    const f = await lintSql("-- größe ☃\nINSERT INTO t VALUES ('☃☃');\n/* x */ TRUNCATE t CASCADE;");
    expect(f.find((x) => x.rule === 'ban-truncate-cascade')?.line).toBe(3);
  });

  it('formats human and JSON output', async () => {
    const f = await lintMigrations([{ name: '001_x', sql: 'TRUNCATE t CASCADE;' }]);
    const human = formatFindingsHuman(f);
    expect(human).toContain('001_x:1 error [ban-truncate-cascade]');
    expect(human).toContain('> TRUNCATE t CASCADE');
    expect(human).toMatch(/1 error\(s\)/);
    const json = JSON.parse(formatFindingsJson(f));
    expect(json.summary.error).toBe(1);
    expect(json.findings[0]).toMatchObject({
      rule: 'ban-truncate-cascade',
      severity: 'error',
      line: 1,
      statement: 'TRUNCATE t CASCADE',
      migration: '001_x',
    });
    expect(formatFindingsHuman([])).toMatch(/No migration safety findings/);
  });
});

describe('rules that depend on what the catalog or the run knows', () => {
  const fkOnBookings =
    'ALTER TABLE bookings ADD CONSTRAINT bookings_guest_fk FOREIGN KEY (guest_id) REFERENCES guests (id) NOT VALID;';

  it('foreign-key-without-index checks an existing table only when the catalog listed its indexes', async () => {
    // Without the catalog the linter cannot know the table's indexes, so it stays silent rather than guess.
    expect(await rules(fkOnBookings)).not.toContain('foreign-key-without-index');
    const noIndex = { notNullChecks: [], indexes: { 'public.bookings': [['id']] } };
    expect(await rules(fkOnBookings, { catalog: noIndex })).toContain('foreign-key-without-index');
    const leading = { notNullChecks: [], indexes: { 'public.bookings': [['guest_id', 'check_in']] } };
    expect(await rules(fkOnBookings, { catalog: leading })).not.toContain('foreign-key-without-index');
    // An index created later in the same run counts too.
    const later = await lintMigrations(
      [
        { name: '001_fk', sql: fkOnBookings },
        {
          name: '002_idx',
          sql: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS bookings_guest ON bookings (guest_id);',
          transactional: false,
        },
      ],
      { catalog: noIndex },
    );
    expect(later.map((f) => f.rule)).not.toContain('foreign-key-without-index');
  });

  it('foreign-key-without-index is reported at the end but honours the suppression on the FK statement', async () => {
    const create = 'CREATE TABLE invoices (id bigint PRIMARY KEY, booking_id bigint REFERENCES bookings (id));';
    const plain = await lintMigrations([
      { name: '001', sql: create },
      { name: '002', sql: 'ALTER TABLE invoices ADD COLUMN note text;' },
    ]);
    expect(plain.find((f) => f.rule === 'foreign-key-without-index')).toMatchObject({ migration: '001', line: 1 });
    const suppressed = await lintMigrations([
      { name: '001', sql: `-- dbrs-lint-ignore foreign-key-without-index: invoices are never deleted\n${create}` },
      { name: '002', sql: 'ALTER TABLE invoices ADD COLUMN note text;' },
    ]);
    expect(suppressed.map((f) => f.rule)).not.toContain('foreign-key-without-index');
    // A suppression of another rule does not silence it.
    const other = await lintSql(`-- dbrs-lint-ignore prefer-bigint-over-int: ids are bigint already\n${create}`);
    expect(other.map((f) => f.rule)).toContain('foreign-key-without-index');
  });

  it('alter-type-with-check-constraint knows checks from the catalog', async () => {
    const sql = 'ALTER TABLE t ALTER COLUMN c TYPE bigint;';
    expect(await rules(sql)).not.toContain('alter-type-with-check-constraint');
    const catalog = { notNullChecks: [], checkedColumns: ['public.t.c'] };
    expect(await rules(sql, { catalog })).toContain('alter-type-with-check-constraint');
  });

  it('dropping-foreign-key knows foreign keys added earlier in the run, named or by the default name', async () => {
    const f = await lintMigrations([
      { name: '001', sql: 'ALTER TABLE t ADD CONSTRAINT t_owner FOREIGN KEY (owner_id) REFERENCES u (id) NOT VALID;' },
      { name: '002', sql: 'ALTER TABLE t DROP CONSTRAINT t_owner;' },
      { name: '003', sql: 'ALTER TABLE t DROP CONSTRAINT t_other;' },
    ]);
    expect(f.filter((x) => x.rule === 'dropping-foreign-key').map((x) => x.migration)).toEqual(['002']);
    const catalog = { notNullChecks: [], constraints: { 'public.t.t_owner': 'f', 'public.t.t_pkey': 'p' } };
    expect(await rules('ALTER TABLE t DROP CONSTRAINT t_owner;', { catalog })).toContain('dropping-foreign-key');
    expect(await rules('ALTER TABLE t DROP CONSTRAINT t_pkey;', { catalog })).not.toContain('dropping-foreign-key');
    expect(await rules('ALTER TABLE t DROP CONSTRAINT t_pkey CASCADE;', { catalog })).toContain('dropping-foreign-key');
    expect(await rules('DROP TABLE t CASCADE;')).toContain('dropping-foreign-key');
  });

  it('require-table-schema is opt-in; naming-convention takes a pattern', async () => {
    expect(await rules('ALTER TABLE bookings ADD COLUMN note text;')).not.toContain('require-table-schema');
    const cte = 'WITH recent AS (SELECT 1) SELECT * FROM recent;';
    expect(await rules(cte, { enabledRules: ['require-table-schema'] })).not.toContain('require-table-schema');
    const camel = 'CREATE TABLE "roomTypes" ("displayName" text);';
    expect((await lintSql(camel)).filter((f) => f.rule === 'naming-convention')).toHaveLength(2);
    expect(await rules(camel, { namingPattern: /^[a-z][A-Za-z0-9]*$/ })).not.toContain('naming-convention');
  });

  it('C12 (create_table force: true) in SQL is drop-and-recreate, reported by ban-drop-table', async () => {
    const f = await lintSql('DROP TABLE IF EXISTS guests CASCADE;\nCREATE TABLE guests (id bigint PRIMARY KEY);');
    expect(f.find((x) => x.rule === 'ban-drop-table')?.line).toBe(1);
  });
});
