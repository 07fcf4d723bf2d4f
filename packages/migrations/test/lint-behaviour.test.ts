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
    expect(old?.severity).toBe('info');
    expect(cur?.severity).toBe('warning');
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
    const f = await lintSql(sql, { lockTimeoutManaged: true });
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
