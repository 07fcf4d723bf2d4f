import { createDatabase, type Database, silentLogger } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capabilities } from '../src/monitor/capabilities.js';
import { resolveOptions } from '../src/options.js';
import { createReportContext } from '../src/report/context.js';

/*
 * Issue #15 §5: report stages that do not depend on each other run at the same time on the pool's connections
 * (the catalog while pg_stat_statements is read; tables and indexes). Their warnings must come out in stage
 * order whichever finishes first, and their round trips and timings must land in the report's one record.
 */
const server = await getSharedPostgres();
let t: TestDatabase;
let db: Database;

beforeAll(async () => {
  t = await createTestDatabase(server);
  db = createDatabase(t.url);
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
});

const context = () =>
  createReportContext({
    db,
    caps: {} as Capabilities,
    opts: resolveOptions(),
    logger: silentLogger(),
    signal: undefined,
  });

describe('forked report contexts', () => {
  it('keeps warnings in join order although the later stage fails first, and shares round trips and timings', async () => {
    const ctx = context();
    ctx.warnings.push('before');
    const slow = ctx.fork();
    const fast = ctx.fork();
    const done: string[] = [];
    await Promise.all([
      // The slow stage fails after the fast one has: a real server error after 300 ms.
      slow.section(
        'slow',
        async () => {
          await slow.runner.query('SELECT pg_sleep(0.3)');
          await slow.runner.query('SELECT * FROM no_such_table_slow');
          done.push('slow');
        },
        undefined,
      ),
      fast
        .section(
          'fast',
          async () => {
            await fast.runner.query('SELECT * FROM no_such_table_fast');
          },
          undefined,
        )
        .then(() => done.push('fast')),
    ]);
    expect(done).toEqual(['fast']);
    // Nothing reaches the report until joined.
    expect(ctx.warnings).toEqual(['before']);
    slow.join();
    fast.join();
    expect(ctx.warnings).toHaveLength(3);
    expect(ctx.warnings[1]).toMatch(/^slow: .*no_such_table_slow/);
    expect(ctx.warnings[2]).toMatch(/^fast: .*no_such_table_fast/);
    expect(ctx.runner.count).toBe(3);
    expect(Object.keys(ctx.timings).sort()).toEqual(['fast', 'slow']);
  });

  it('a fork of a fork joins into its parent, which joins into the report', async () => {
    const ctx = context();
    const stage = ctx.fork();
    const inner = stage.fork();
    await inner.section('inner', () => inner.runner.query('SELECT * FROM no_such_table_inner'), undefined);
    inner.join();
    expect(ctx.warnings).toEqual([]);
    stage.join();
    expect(ctx.warnings).toEqual([expect.stringMatching(/^inner: .*no_such_table_inner/)]);
    expect(ctx.runner.count).toBe(1);
  });
});
