import { createDatabase } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, requireComponent, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexNamesInPlan, PlanSession } from '../src/advisor/plan-session.js';
import { explainMany, type WhatIfGroup, type WhatIfStatement, whatIf } from '../src/advisor/what-if-batch.js';
import { exec } from './helpers.js';

/*
 * Batched what-if planning (bench/performance: 2,500 round trips → ~80 at 500 statements) must give what the
 * single calls give: the same plans and costs, a failure confined to the statement or candidate that failed,
 * no hypothetical index left behind, and a plan that uses another group's index (a join across two groups'
 * tables) redone with its own group alone.
 */
const server = await getSharedPostgres();
const ready = requireComponent('hypopg', server.hasHypopg);

describe.skipIf(!ready)('batched what-if planning (real PostgreSQL + hypopg)', () => {
  let t: TestDatabase;
  let session: PlanSession;
  let db: ReturnType<typeof createDatabase>;

  beforeAll(async () => {
    t = await createTestDatabase(server);
    await exec(
      t.url,
      `CREATE TABLE a (id int PRIMARY KEY, x int NOT NULL, y int NOT NULL);
       CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL, z int NOT NULL);
       INSERT INTO a SELECT g, g % 1000, g % 7 FROM generate_series(1, 50000) g;
       INSERT INTO b SELECT g, 1 + g % 50000, g % 500 FROM generate_series(1, 50000) g;
       ANALYZE`,
    );
    db = createDatabase(t.url);
    session = await PlanSession.open(db, {
      serverMajor: server.version.major,
      timeoutMs: 10_000,
      hypopgSchema: 'public',
    });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await db?.close();
    await t?.drop();
  });

  const onA = { text: 'SELECT id FROM a WHERE x = $1', paramCount: 1 };
  const onB = { text: 'SELECT id FROM b WHERE z = $1', paramCount: 1 };
  const join = { text: 'SELECT a.id FROM a JOIN b ON b.a_id = a.id WHERE b.z = $1 AND a.x = $2', paramCount: 2 };
  const custom = { text: 'SELECT id FROM a WHERE x = $1 AND y = $2', paramCount: 2, values: ['5', null] };
  const hypotheticals = async () =>
    Number((await session.runBatch(['SELECT count(*)::int AS n FROM hypopg()']))[0]!.rows[0]!['n']);

  it('explainMany gives the single calls’ plans, and a statement that fails fails alone', async () => {
    const items: WhatIfStatement[] = [
      onA,
      onB,
      join,
      custom,
      { text: 'SELECT nope FROM a WHERE x = $1', paramCount: 1 },
      onA,
    ];
    const trips = session.roundTrips;
    const batched = await explainMany(session, items);
    const batchTrips = session.roundTrips - trips;
    const single = [];
    for (const s of items)
      single.push(await session.explain(s.text, s.paramCount, s.values ? { values: s.values } : {}));
    expect(batched.map((o) => o.ok)).toEqual([true, true, true, true, false, true]);
    expect(batched.map((o) => (o.ok ? o.cost : null))).toEqual(single.map((o) => (o.ok ? o.cost : null)));
    // The failed message and its recovery, then one call per statement (the failing one recovers again).
    expect(batchTrips).toBe(2 + items.length + 1);
    const before = session.roundTrips;
    const ok = await explainMany(session, [onA, onB, join, custom]);
    expect(ok.every((o) => o.ok)).toBe(true);
    expect(session.roundTrips - before).toBe(1);
    expect(await hypotheticals()).toBe(0);
  });

  it('whatIf plans each group with its own index only, groups on shared tables in one message', async () => {
    // Both groups plan the join of a and b: inside the one message each group's index is dropped before the
    // next group's is created, so the join's plan in each group names that group's index only.
    const groups: WhatIfGroup[] = [
      { definitions: ['CREATE INDEX ON a (x)'], statements: [onA, join] },
      { definitions: ['CREATE INDEX ON b (a_id)'], statements: [onB, join] },
    ];
    const trips = session.roundTrips;
    const out = await whatIf(session, groups);
    expect(session.roundTrips - trips).toBe(1);
    for (const [i, g] of groups.entries()) {
      const r = out[i]!;
      if (r.refused) throw new Error(`group ${i} refused: ${r.reason}`);
      expect(r.created).toHaveLength(1);
      const names = new Set(r.created.map((h) => h.name));
      for (const o of r.outcomes) {
        expect(o.ok).toBe(true);
        if (!o.ok) continue;
        const hypo = [...indexNamesInPlan(o.plan)].filter((n) => n.startsWith('<'));
        expect(hypo.every((n) => names.has(n))).toBe(true);
      }
      // Same costs as that group's index alone, planned one statement at a time.
      const h = await session.createHypothetical(g.definitions[0]!);
      for (const [k, s] of g.statements.entries()) {
        const alone = await session.explain(s.text, s.paramCount);
        const batched = r.outcomes[k]!;
        expect(batched.ok && alone.ok && batched.cost).toBe(alone.ok ? alone.cost : -1);
      }
      await session.dropHypothetical(h.oid);
    }
    const none = await session.explain(join.text, join.paramCount);
    const first = out[0]!;
    expect(!first.refused && first.outcomes[1]!.ok && none.ok && first.outcomes[1]!.cost < none.cost).toBe(true);
    expect(await hypotheticals()).toBe(0);
  });

  it('a definition PostgreSQL refuses fails its own group only; indexes the session holds survive', async () => {
    const held = await session.createHypothetical('CREATE INDEX ON b (z)');
    const out = await whatIf(session, [
      {
        definitions: ['CREATE INDEX ON a ((random() > 0.5))'],
        statements: [onA],
      },
      {
        definitions: ['CREATE INDEX ON b (a_id)'],
        statements: [onB],
      },
    ]);
    expect(out[0]).toMatchObject({ refused: true });
    expect(out[1]).toMatchObject({ refused: false });
    // The held index stays and serves onB in the second group's plan; nothing else is left.
    const second = out[1]!;
    expect(!second.refused && second.outcomes[0]!.ok && indexNamesInPlan(second.outcomes[0]!.plan).has(held.name)).toBe(
      true,
    );
    expect(await hypotheticals()).toBe(1);
    await session.dropHypothetical(held.oid);
    expect(await hypotheticals()).toBe(0);
  });

  it('an index queued with holdLater rides at the head of the next message, survives it and a failed one', async () => {
    const hypoNames = (plan: Parameters<typeof indexNamesInPlan>[0]) =>
      [...indexNamesInPlan(plan)].filter((n) => n.startsWith('<'));
    session.holdLater('CREATE INDEX ON b (z)');
    const trips = session.roundTrips;
    const [first] = await whatIf(session, [{ definitions: ['CREATE INDEX ON a (x)'], statements: [onA, onB] }]);
    expect(session.roundTrips - trips).toBe(1);
    if (!first || first.refused) throw new Error('group refused');
    const [planA, planB] = first.outcomes;
    // onB is served by the held index (not the group's), onA by the group's.
    expect(planA!.ok && hypoNames(planA!.plan)).toEqual([first.created[0]!.name]);
    expect(
      planB!.ok && hypoNames(planB!.plan).length === 1 && hypoNames(planB!.plan)[0] !== first.created[0]!.name,
    ).toBe(true);
    expect(await hypotheticals()).toBe(1);

    // Queued again, then a message that fails (a refused definition): the fallback creates it before the single calls.
    session.holdLater('CREATE INDEX ON a (y)');
    const out = await whatIf(session, [
      { definitions: ['CREATE INDEX ON a ((random() > 0.5))'], statements: [onA] },
      { definitions: [], statements: [custom] },
    ]);
    expect(out[0]).toMatchObject({ refused: true });
    const second = out[1]!;
    expect(!second.refused && second.outcomes[0]!.ok).toBe(true);
    expect(await hypotheticals()).toBe(2);
    await session.dropHeld();
    expect(await hypotheticals()).toBe(0);
  });
});
