import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDatabase } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCiStep } from '../src/ci-step.js';

const MIGRATIONS = resolve(import.meta.dirname, '../migrations');

async function tables(url: string): Promise<string[]> {
  await using db = createDatabase(url, { poolMax: 1 });
  const { rows } = await db.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'loyalty%' ORDER BY 1`,
  );
  return rows.map((r) => r.t);
}

describe('example: migrations with testFirst in a CI step', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const scratch = mkdtempSync(join(tmpdir(), 'dbrs-ci-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('tests the example migrations on a scratch copy, then applies them (exit 0)', async () => {
    const out: string[] = [];
    const r = await runCiStep({ databaseUrl: db.url, migrationsDir: MIGRATIONS, write: (t) => out.push(t) });
    expect(r.exitCode, out.join('')).toBe(0);
    expect(r.applied).toHaveLength(2);
    expect(await tables(db.url)).toEqual(['loyalty_accounts']);
    // Idempotent: the next pipeline run has nothing to do.
    const again = await runCiStep({ databaseUrl: db.url, migrationsDir: MIGRATIONS, write: () => {} });
    expect(again).toMatchObject({ exitCode: 0, applied: [] });
  });

  it('a migration whose rollback is broken fails the step before the real database is touched (exit 1)', async () => {
    const dir = join(scratch, 'broken');
    cpSync(MIGRATIONS, dir, { recursive: true });
    // Its down does not undo its up: the up/down/up test on the copy catches it.
    writeFileSync(
      join(dir, '0003_add_tier.sql'),
      '-- migrate:up\nCREATE TABLE loyalty_tiers (id int);\n-- migrate:down\nSELECT 1;\n',
    );
    const r = await runCiStep({ databaseUrl: db.url, migrationsDir: dir, write: () => {} });
    expect(r.exitCode).toBe(1);
    expect(r.applied).toEqual([]);
    expect(await tables(db.url)).toEqual(['loyalty_accounts']);
  });
});
