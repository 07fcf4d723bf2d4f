// Issue #14 "Bad input": the linter never throws on text, whatever it holds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintMigrations, lintSql } from '../src/index.js';
import { loadParser, parseSqlSync } from '../src/lint/parse.js';

const ONE_OF_EACH: Record<string, string> = JSON.parse(
  readFileSync(new URL('./fixtures/statement-types/one-of-each.json', import.meta.url), 'utf8'),
);

describe('statements the rules have never seen', () => {
  it('the fixture really holds one statement of each top-level type it names (112 types)', async () => {
    await loadParser();
    expect(Object.keys(ONE_OF_EACH).length).toBeGreaterThanOrEqual(110);
    for (const [type, sql] of Object.entries(ONE_OF_EACH)) {
      const parsed = parseSqlSync(sql);
      expect(
        parsed.statements.map((s) => s.type),
        sql,
      ).toEqual([type]);
    }
  });

  it.each([true, false])(
    'every type lints without throwing (transactional %s), alone and all in one text',
    async (transactional) => {
      for (const sql of Object.values(ONE_OF_EACH)) {
        const findings = await lintSql(`${sql};`, { transactional });
        for (const f of findings) expect(f.rule).not.toBe('syntax-error');
      }
      const all = await lintSql(`${Object.values(ONE_OF_EACH).join(';\n')};`, {
        transactional,
        enabledRules: ['require-table-schema'],
      });
      expect(all.every((f) => typeof f.message === 'string' && f.line >= 1)).toBe(true);
    },
  );
});

describe('garbage and edge sizes', () => {
  it.each([
    ['English prose', 'please add a column to the guests table'],
    ['unterminated string', "SELECT 'abc"],
    ['unbalanced parenthesis', 'ALTER TABLE t ADD COLUMN (a int'],
    ['random bytes', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)).toString('latin1')],
    ['unterminated dollar quote', 'DO $$ BEGIN'],
    ['a lone semicolon storm', ';;;;;'],
  ])('%s: a syntax-error finding or nothing, never an exception', async (_label, sql) => {
    const findings = await lintSql(sql);
    for (const f of findings) expect(['syntax-error']).toContain(f.rule);
    if (findings.length) expect(findings[0]!.message.length).toBeGreaterThan(5);
  });

  it('an empty file and a comment-only file have no findings', async () => {
    expect(await lintSql('')).toEqual([]);
    expect(await lintSql('-- migrate:up\n-- nothing yet\n')).toEqual([]);
    expect(await lintMigrations([{ name: 'empty', sql: '' }])).toEqual([]);
  });

  it('a non-string is a DbrsError with a code', async () => {
    await expect(lintSql(42 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(lintMigrations([{ name: 'x', sql: null as unknown as string }])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('a 10 MB migration (one INSERT with a huge literal list) lints', async () => {
    const row = "(1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')";
    const rows = Math.ceil((10 * 1024 * 1024) / (row.length + 2));
    const sql = `CREATE TABLE big (a int, b text);\nINSERT INTO big VALUES ${Array(rows).fill(row).join(',\n')};`;
    expect(sql.length).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    const findings = await lintSql(sql, { lockTimeoutManaged: true });
    expect(findings.filter((f) => f.rule === 'syntax-error')).toEqual([]);
  }, 120_000);

  it('10,000 statements lint, each finding on its own line', async () => {
    const sql = Array.from({ length: 10_000 }, (_, i) => `ALTER TABLE t${i} DROP COLUMN c;`).join('\n');
    const findings = (await lintSql(sql, { lockTimeoutManaged: true })).filter((f) => f.rule === 'ban-drop-column');
    expect(findings.length).toBe(10_000);
    expect(findings[9_999]!.line).toBe(10_000);
  }, 120_000);
});
