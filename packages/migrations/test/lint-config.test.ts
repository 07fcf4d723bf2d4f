import { isDbrsError } from '@voicehive/db-core';
import { afterEach, describe, expect, it } from 'vitest';
import { lintRules, lintSql } from '../src/index.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const ruleIds = async (sql: string, options: Parameters<typeof lintSql>[1]) =>
  (await lintSql(sql, options)).map((f) => f.rule);

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('lint rule selection (lintSql)', () => {
  it('refuses an unknown rule id with CONFIG_INVALID, the nearest id and every valid id', async () => {
    const err = await lintSql('SELECT 1;', { disabledRules: ['ban-drop-tabel'] }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'CONFIG_INVALID')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('disabledRules names an unknown lint rule "ban-drop-tabel"');
    expect(message).toContain('did you mean "ban-drop-table"?');
    for (const rule of lintRules) expect(message).toContain(rule.id);
    await expect(lintSql('SELECT 1;', { enabledRules: ['no-such-thing-at-all'] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('enabledRules names an unknown lint rule "no-such-thing-at-all".'),
    });
  });

  it('refuses a rule both enabled and disabled, a single string for a list and an invalid pattern', async () => {
    await expect(
      lintSql('SELECT 1;', { enabledRules: ['require-table-schema'], disabledRules: ['require-table-schema'] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('in both enabledRules') });
    await expect(
      lintSql('SELECT 1;', { disabledRules: 'ban-drop-table' as unknown as string[] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('must be a list of rule ids') });
    await expect(lintSql('SELECT 1;', { namingPattern: '[a-z' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('namingPattern is not a valid regular expression'),
    });
  });

  it('a string namingPattern is matched against the whole name; a /g pattern checks every name alike', async () => {
    const sql = 'CREATE TABLE "Bad_Name" (id bigint PRIMARY KEY);';
    // Unanchored, [a-z]+ would find "ad" inside the name and accept it.
    expect(await ruleIds(sql, { namingPattern: '[a-z]+' })).toContain('naming-convention');
    expect(await ruleIds(sql, { namingPattern: '[A-Za-z_]+' })).not.toContain('naming-convention');
    // With the g flag RegExp.test is stateful: the second of two equal names would be checked from lastIndex.
    const two = 'CREATE TABLE "guestStays" (id bigint PRIMARY KEY);\nCREATE TABLE "roomTypes" (id bigint PRIMARY KEY);';
    expect(await ruleIds(two, { namingPattern: /^[a-z][A-Za-z]*$/g })).not.toContain('naming-convention');
  });
});

describe('DatabaseMigrationManager lint options (real PostgreSQL)', () => {
  it('runs an opt-in rule only when enabled, in lint() and in runMigration’s report', async () => {
    fx = await fixture({
      '001_rooms.sql': sqlMigration('CREATE TABLE rooms (id bigint PRIMARY KEY);', 'DROP TABLE rooms;'),
    });
    const plain = fx.manager();
    expect((await plain.lint()).findings.map((f) => f.rule)).not.toContain('require-table-schema');
    const strict = fx.manager({ lint: { enabledRules: ['require-table-schema'] } });
    const findings = (await strict.lint()).findings.filter((f) => f.rule === 'require-table-schema');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ migration: '001_rooms', message: expect.stringContaining('"rooms"') });
    const run = await strict.runMigration();
    expect(run.success, run.errorMessage).toBe(true);
    expect(run.report.lint?.findings.map((f) => f.rule)).toContain('require-table-schema');
  });

  it('a disabled rule stops firing, and stops blocking failOnLintErrors', async () => {
    fx = await fixture({
      '001_rooms.sql': sqlMigration('CREATE TABLE rooms (id bigint PRIMARY KEY, name text);', 'DROP TABLE rooms;'),
    });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.write({
      '002_rooms_name.sql': sqlMigration('CREATE INDEX rooms_name_idx ON rooms (name);', 'DROP INDEX rooms_name_idx;'),
    });
    const blocked = await fx.manager({ failOnLintErrors: true }).runMigration();
    expect(blocked.success).toBe(false);
    expect(blocked.error?.code).toBe('LINT_FAILED');
    expect(blocked.report.lint?.findings.map((f) => f.rule)).toContain('require-concurrent-index-creation');

    const relaxed = fx.manager({
      failOnLintErrors: true,
      lint: { disabledRules: ['require-concurrent-index-creation'] },
    });
    expect((await relaxed.lint()).findings.map((f) => f.rule)).not.toContain('require-concurrent-index-creation');
    const run = await relaxed.runMigration();
    expect(run.success, run.errorMessage).toBe(true);
    expect(run.applied).toEqual(['002_rooms_name']);
  });

  it('honours a custom namingPattern', async () => {
    fx = await fixture({
      '001_stays.sql': sqlMigration(
        'CREATE TABLE "guestStays" (id bigint PRIMARY KEY, "roomId" bigint);',
        'DROP TABLE "guestStays";',
      ),
    });
    const byDefault = (await fx.manager().lint()).findings.filter((f) => f.rule === 'naming-convention');
    expect(byDefault.map((f) => f.message)).toEqual([
      expect.stringContaining('"guestStays"'),
      expect.stringContaining('"roomId"'),
    ]);
    const camel = fx.manager({ lint: { namingPattern: '[a-z][A-Za-z0-9]*' } });
    expect((await camel.lint()).findings.map((f) => f.rule)).not.toContain('naming-convention');
    // "id" passes the default but not this one.
    const upperOnly = fx.manager({ lint: { namingPattern: /^[A-Z]+$/ } });
    expect((await upperOnly.lint()).findings.filter((f) => f.rule === 'naming-convention')).toHaveLength(3);
  });

  it('per-call overrides win over the manager’s lists', async () => {
    fx = await fixture({
      '001_rooms.sql': sqlMigration('CREATE TABLE rooms (id bigint PRIMARY KEY);', 'DROP TABLE rooms;'),
    });
    const m = fx.manager({ lint: { enabledRules: ['require-table-schema'] } });
    const rules = async (overrides: { enabledRules?: string[]; disabledRules?: string[] }) =>
      (await m.lint({ overrides })).findings.map((f) => f.rule);
    expect(await rules({ disabledRules: ['require-table-schema'] })).not.toContain('require-table-schema');
    expect(await rules({})).toContain('require-table-schema');
    const off = fx.manager({ lint: { disabledRules: ['require-table-schema'] } });
    expect(
      (await off.lint({ overrides: { enabledRules: ['require-table-schema'] } })).findings.map((f) => f.rule),
    ).toContain('require-table-schema');
    await expect(m.lint({ overrides: { enabledRules: ['require-table-schemas'] } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('did you mean "require-table-schema"?'),
    });
  });

  it('refuses an unknown rule id in the constructor, naming the option and the valid ids', async () => {
    fx = await fixture();
    const err = caught(() => fx!.manager({ lint: { disabledRules: ['naming-conventions'] } }));
    expect(isDbrsError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('lint.disabledRules names an unknown lint rule "naming-conventions"');
    expect((err as Error).message).toContain('did you mean "naming-convention"?');
    expect((err as Error).message).toContain('Valid rule ids: adding-exclusion-constraint');
  });
});
