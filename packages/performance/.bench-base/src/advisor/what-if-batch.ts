import { errorMessage, throwIfAborted } from '@voicehive/db-core';
import { type ExplainOutcome, indexNamesInPlan, type PlanSession, readPlan } from './plan-session.js';
import type { Prepared } from './workload.js';

/**
 * Batched what-if planning. Each EXPLAIN or hypopg call used to be one round trip; at 500 statements that was
 * ~2,500 of them, and on a loaded 2-core machine a round trip costs milliseconds of waiting for the two
 * processes to be scheduled while the server's own work is ~0.2 ms. Here many EXPLAINs (and the hypothetical
 * indexes they are planned with) go in one simple-protocol message. A message that fails anywhere (one
 * statement PostgreSQL will not plan, a definition it refuses) is redone item by item with the single calls,
 * which report each failure on its own: the result is the same as without batching, only slower.
 */

/** One statement to plan, as `PlanSession.explain` takes it. */
export interface WhatIfStatement {
  text: string;
  paramCount: number;
  values?: (string | null)[];
}

/** A prepared workload statement as the planning session takes it. */
export const toWhatIf = (p: Prepared): WhatIfStatement => ({
  text: p.stat.query,
  paramCount: p.shape.paramCount,
  ...(p.values ? { values: p.values } : {}),
});

/** Statements per message: keeps each message and its JSON plans to a few hundred kB. */
const MAX_EXPLAINS_PER_MESSAGE = 100;

/** EXPLAIN of each statement under the hypothetical indexes in place now; in as few round trips as fit. */
export async function explainMany(
  session: PlanSession,
  statements: WhatIfStatement[],
  signal?: AbortSignal,
): Promise<ExplainOutcome[]> {
  const out: ExplainOutcome[] = [];
  for (let i = 0; i < statements.length; i += MAX_EXPLAINS_PER_MESSAGE) {
    throwIfAborted(signal, 'index advice');
    const chunk = statements.slice(i, i + MAX_EXPLAINS_PER_MESSAGE);
    const sqls = chunk.map((s) => session.explainSql(s.text, s.paramCount, s.values ? { values: s.values } : {}));
    try {
      const results = await session.runBatch(sqls.flatMap((s) => s.parts));
      let at = 0;
      for (const s of sqls) {
        out.push({ ok: true, ...readPlan(results[at + s.planAt]!) });
        at += s.parts.length;
      }
    } catch {
      throwIfAborted(signal, 'index advice');
      await session.recover();
      for (const s of chunk)
        out.push(await session.explain(s.text, s.paramCount, s.values ? { values: s.values } : {}));
    }
  }
  return out;
}

/** Hypothetical indexes to create and the statements to plan with them (and whatever the session holds). */
export interface WhatIfGroup {
  definitions: string[];
  statements: WhatIfStatement[];
  /** Tables (oids) of the indexes: a group's statements must not touch another group's tables in one message. */
  indexTables: Set<number>;
  /** Tables each statement touches, same order as `statements`. */
  statementTables: Set<number>[];
}

export type WhatIfResult =
  | {
      refused: false;
      created: { oid: number; name: string; sizeBytes: number }[];
      /** Per statement; ok only when the plan could be made. */
      outcomes: ExplainOutcome[];
    }
  /** PostgreSQL or hypopg refused one of the definitions: what a real CREATE INDEX would meet too. */
  | { refused: true; reason: string };

/**
 * Plans each group's statements with that group's hypothetical indexes added, then drops them again. Groups
 * whose statements do not touch each other's tables share a message (an index on one table cannot change the
 * plan of a statement that does not read it); a plan that names another group's index all the same (a table
 * reached through a view or function) is redone with its group alone.
 */
export async function whatIf(
  session: PlanSession,
  groups: WhatIfGroup[],
  signal?: AbortSignal,
): Promise<WhatIfResult[]> {
  const results: (WhatIfResult | undefined)[] = groups.map(() => undefined);
  let pending = groups.map((_, i) => i);
  while (pending.length > 0) {
    throwIfAborted(signal, 'index advice');
    const wave = nextWave(groups, pending);
    const redo = await runWave(session, groups, wave, results, signal);
    for (const i of redo) results[i] = await whatIfOne(session, groups[i]!, signal);
    const done = new Set(wave);
    pending = pending.filter((i) => !done.has(i));
  }
  return results as WhatIfResult[];
}

/** Groups that can share one message: disjoint tables, up to the message budget. */
function nextWave(groups: WhatIfGroup[], pending: number[]): number[] {
  const wave: number[] = [];
  const indexed = new Set<number>();
  const read = new Set<number>();
  let explains = 0;
  for (const i of pending) {
    const g = groups[i]!;
    const touches = new Set(g.statementTables.flatMap((t) => [...t]));
    const clash =
      [...g.indexTables].some((t) => read.has(t) || indexed.has(t)) || [...touches].some((t) => indexed.has(t));
    if (wave.length > 0 && (clash || explains + g.statements.length > MAX_EXPLAINS_PER_MESSAGE)) continue;
    wave.push(i);
    explains += g.statements.length;
    for (const t of g.indexTables) indexed.add(t);
    for (const t of touches) read.add(t);
  }
  return wave;
}

/** One message for the wave; returns the groups to redo alone (message failed, or a plan crossed groups). */
async function runWave(
  session: PlanSession,
  groups: WhatIfGroup[],
  wave: number[],
  results: (WhatIfResult | undefined)[],
  signal: AbortSignal | undefined,
): Promise<Set<number>> {
  const parts: string[] = [];
  const layout = wave.map((i) => {
    const g = groups[i]!;
    const createAt = parts.length;
    for (const d of g.definitions) parts.push(session.createSql(d));
    return { i, createAt };
  });
  const explainAt = wave.map((i) =>
    groups[i]!.statements.map((s) => {
      const sql = session.explainSql(s.text, s.paramCount, s.values ? { values: s.values } : {});
      const at = parts.length + sql.planAt;
      parts.push(...sql.parts);
      return at;
    }),
  );
  parts.push(session.dropUnheldSql());
  let res: Awaited<ReturnType<PlanSession['runBatch']>>;
  try {
    res = await session.runBatch(parts);
  } catch {
    throwIfAborted(signal, 'index advice');
    await session.recover();
    return new Set(wave);
  }
  const created = layout.map(({ i, createAt }) =>
    groups[i]!.definitions.map((_, k) => {
      const row = res[createAt + k]!.rows[0]!;
      return { oid: Number(row['oid']), name: String(row['name']), sizeBytes: Number(row['size']) };
    }),
  );
  const owner = new Map<string, number>();
  created.forEach((list, w) => {
    for (const h of list) owner.set(h.name, wave[w]!);
  });
  const redo = new Set<number>();
  wave.forEach((i, w) => {
    const outcomes = explainAt[w]!.map((at): ExplainOutcome => ({ ok: true, ...readPlan(res[at]!) }));
    const crossed = outcomes.some(
      (o) => o.ok && [...indexNamesInPlan(o.plan)].some((n) => owner.has(n) && owner.get(n) !== i),
    );
    if (crossed) redo.add(i);
    else results[i] = { refused: false, created: created[w]!, outcomes };
  });
  return redo;
}

/** One group with the single calls: each definition, each EXPLAIN and each failure on its own. */
async function whatIfOne(session: PlanSession, g: WhatIfGroup, signal: AbortSignal | undefined): Promise<WhatIfResult> {
  const created: { oid: number; name: string; sizeBytes: number }[] = [];
  try {
    try {
      for (const d of g.definitions) created.push(await session.createHypothetical(d));
    } catch (err) {
      throwIfAborted(signal, 'index advice');
      return { refused: true, reason: errorMessage(err) };
    }
    const outcomes: ExplainOutcome[] = [];
    for (const s of g.statements) {
      throwIfAborted(signal, 'index advice');
      outcomes.push(await session.explain(s.text, s.paramCount, s.values ? { values: s.values } : {}));
    }
    return { refused: false, created, outcomes };
  } finally {
    for (const h of created) await session.dropHypothetical(h.oid);
  }
}
