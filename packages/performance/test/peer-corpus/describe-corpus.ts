import { createTestDatabase, getSharedPostgres, requireComponent, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, report } from '../helpers.js';
import { costUnder } from './cost-under.js';
import { runCase, shown } from './run-case.js';
import { agreement, type PeerCase } from './types.js';

/** `schema.table (*)` in a peer's expectation: the peer's test only asks that some index on the table is found. */
export function matches(expected: string[], actual: string[]): boolean {
  if (expected.length !== actual.length) return false;
  const rest = [...actual];
  for (const e of expected) {
    const at = e.endsWith('(*)') ? rest.findIndex((a) => a.startsWith(e.slice(0, -3))) : rest.indexOf(e);
    if (at < 0) return false;
    rest.splice(at, 1);
  }
  return true;
}

/** One case: our advice equals the peer's, or our argued difference (then checked against what it rests on). */
async function check(url: string, c: PeerCase, hasQualstats: boolean): Promise<void> {
  const got = shown(await runCase(url, c, hasQualstats));
  const want = c.ours ?? c.peer;
  expect(matches(want, got), `${c.id}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`).toBe(true);
  if (c.ours !== undefined) {
    expect(c.why, `${c.id}: a difference from the peer needs its argument`).toMatch(
      /https:\/\/www\.postgresql\.org\/docs\//,
    );
    expect(matches(c.peer, got)).toBe(false);
  }
  if (c.variant) {
    const again = shown(await report(url, c.variant.advisor));
    expect(matches(c.variant.expect, again), `${c.id} variant: got ${JSON.stringify(again)}`).toBe(true);
  }
  if (c.compareCost) {
    const ours = await costUnder(url, c.statements, got);
    const theirs = await costUnder(url, c.statements, c.peer);
    const line = `${c.id}: planner cost ours ${ours.cost.toFixed(2)} (${ours.bytes} bytes) vs peer ${theirs.cost.toFixed(2)} (${theirs.bytes} bytes)`;
    console.log(line);
    expect(ours.cost, line).toBeLessThanOrEqual(theirs.cost * (1 + c.compareCost.within));
  }
}

/**
 * A peer's suite as a regression corpus: every case runs on real PostgreSQL with hypopg, and our advice must
 * equal the peer's expectation, or our argued difference where one is recorded.
 */
export async function describeCorpus(peer: string, schema: string, cases: PeerCase[]): Promise<void> {
  const server = await getSharedPostgres();
  const ready = requireComponent('hypopg', server.hasHypopg);
  describe.skipIf(!ready)(`${peer}'s test suite as our regression corpus`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(server);
      if (schema) await exec(t.url, schema);
    }, 240_000);
    afterAll(async () => {
      await t?.drop();
    });

    for (const c of cases) {
      it(c.id, async () => {
        try {
          await check(t.url, c, server.hasQualstats);
        } finally {
          if (c.teardown) await exec(t.url, c.teardown);
        }
      }, 120_000);
    }

    it('has an argued difference for every case that does not agree', () => {
      const a = agreement(peer, cases);
      expect(a.agree + a.argued.length).toBe(cases.length);
      for (const id of a.argued) expect(cases.find((c) => c.id === id)!.why).toBeTruthy();
    });
  });
}
