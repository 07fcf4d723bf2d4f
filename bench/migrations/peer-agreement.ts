// Agreement with the peers' own test suites (issue #14 §2), before and after the §1 fixes.
//   scripts/run-source.sh bench/migrations/peer-agreement.ts [path/to/older/src/index.ts]
// With an argument, the older linter's source is scored too (extract it with
// `git archive <commit> packages/migrations/src | tar -x -C packages/migrations/.before --strip-components=2`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LintFinding, LintOptions } from '@voicehive/db-migrations';
import { lintSql } from '@voicehive/db-migrations';
import { scoreCase } from '../../packages/migrations/test/peer-corpus/score.ts';
import type { PeerCase, PeerDifference } from '../../packages/migrations/test/peer-corpus/types.ts';
import { saveResult } from './results-file.ts';

type Lint = (sql: string, o: LintOptions) => Promise<LintFinding[]>;
const dir = new URL('../../packages/migrations/test/peer-corpus/', import.meta.url);
const load = (f: string): PeerCase[] => JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
const cases = [...load('squawk.json'), ...load('eugene.json'), ...load('strong-migrations.json')];
const differences: Record<string, PeerDifference> = JSON.parse(readFileSync(new URL('differences.json', dir), 'utf8'));

async function score(lint: Lint) {
  const per: Record<string, { cases: number; agree: number; argued: number; unexplained: string[] }> = {};
  for (const c of cases) {
    const s = await scoreCase(c, lint);
    per[c.peer] ??= { cases: 0, agree: 0, argued: 0, unexplained: [] };
    const p = per[c.peer]!;
    p.cases++;
    if (s.verdict === c.peerVerdict && !s.error) p.agree++;
    else if (differences[c.id] && differences[c.id]!.ours === s.verdict) p.argued++;
    else p.unexplained.push(`${c.id} (peer ${c.peerVerdict}, ours ${s.verdict}${s.error ? `, threw ${s.error}` : ''})`);
  }
  return per;
}

const after = await score(lintSql);
const olderPath = process.argv[2];
const before = olderPath ? await score((await import(pathToFileURL(olderPath).href)).lintSql as Lint) : undefined;
const table = (label: string, per: Awaited<ReturnType<typeof score>>) => {
  for (const [peer, p] of Object.entries(per))
    console.log(
      `${label} ${peer}: ${p.agree}/${p.cases} agree (${((100 * p.agree) / p.cases).toFixed(1)}%), ${p.argued} argued differences, ${p.unexplained.length} unexplained`,
    );
};
if (before) table('before', before);
table('after ', after);
for (const [peer, p] of Object.entries(after))
  for (const u of p.unexplained) console.log(`  unexplained ${peer}: ${u}`);
const strip = (per: Awaited<ReturnType<typeof score>>) =>
  Object.fromEntries(
    Object.entries(per).map(([k, v]) => [
      k,
      { cases: v.cases, agree: v.agree, argued: v.argued, unexplained: v.unexplained.length },
    ]),
  );
saveResult('peerAgreement', { ...(before ? { before: strip(before) } : {}), after: strip(after) });
