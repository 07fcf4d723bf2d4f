// Issue #14 §2: the peers' own published test cases as our regression corpus.
// Every case is asserted: we agree with the peer, or differ on purpose (differences.json, argued with the PostgreSQL docs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintSql } from '../src/index.js';
import { RULE_MAP, scoreCase } from './peer-corpus/score.js';
import type { PeerCase, PeerDifference } from './peer-corpus/types.js';

const read = <T>(f: string): T => JSON.parse(readFileSync(new URL(`./peer-corpus/${f}`, import.meta.url), 'utf8'));
const CASES: PeerCase[] = [
  ...read<PeerCase[]>('squawk.json'),
  ...read<PeerCase[]>('strong-migrations.json'),
  ...read<PeerCase[]>('eugene.json'),
];
const DIFFERENCES = read<Record<string, PeerDifference>>('differences.json');

describe('peer corpus', () => {
  it('holds several hundred cases from each of the three peers, with unique ids', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
    for (const peer of ['squawk', 'strong_migrations', 'eugene'])
      expect(
        CASES.some((c) => c.peer === peer),
        peer,
      ).toBe(true);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
  });

  it('maps every peer rule to rules of ours', () => {
    for (const c of CASES) expect(RULE_MAP[c.peerRule]?.length, `${c.id}: ${c.peerRule}`).toBeGreaterThan(0);
  });

  it('argues every deliberate difference with a PostgreSQL documentation page, and only real differences', () => {
    const ids = new Set(CASES.map((c) => c.id));
    for (const [id, d] of Object.entries(DIFFERENCES)) {
      expect(ids.has(id), id).toBe(true);
      expect(d.docs, id).toMatch(/^https:\/\/www\.postgresql\.org\/docs\//);
      expect(d.reason.length, id).toBeGreaterThan(60);
      expect(d.ours).not.toBe(CASES.find((c) => c.id === id)!.peerVerdict);
    }
  });

  it.each(CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const scored = await scoreCase(c, lintSql);
    expect(scored.error).toBeUndefined();
    const expected = DIFFERENCES[c.id]?.ours ?? c.peerVerdict;
    expect({ verdict: scored.verdict, fired: scored.fired }).toMatchObject({ verdict: expected });
  });
});
