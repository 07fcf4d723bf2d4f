import { errorMessage, throwIfAborted } from '@voicehive/db-core';
import { type ExplainOutcome, type PlanSession, readPlan } from './plan-session.js';
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
 * follow one another inside a message (create, EXPLAINs, drop; the next group's create…), so each plan sees
 * its own group's indexes and the held ones only, whatever tables the groups share: choices on one table, which
 * the selection re-plans together after a pick on that table, need no message each.
 */
export async function whatIf(
  session: PlanSession,
  groups: WhatIfGroup[],
  signal?: AbortSignal,
): Promise<WhatIfResult[]> {
  const results: (WhatIfResult | undefined)[] = groups.map(() => undefined);
  let at = 0;
  while (at < groups.length) {
    throwIfAborted(signal, 'index advice');
    // Up to the message budget; a group larger than the budget goes alone.
    const message = [at];
    let explains = groups[at]!.statements.length;
    while (at + message.length < groups.length) {
      const next = groups[at + message.length]!.statements.length;
      if (explains + next > MAX_EXPLAINS_PER_MESSAGE) break;
      message.push(at + message.length);
      explains += next;
    }
    at += message.length;
    const failed = !(await runMessage(session, groups, message, results, signal));
    if (failed) for (const i of message) results[i] = await whatIfOne(session, groups[i]!, signal);
  }
  return results as WhatIfResult[];
}

/** One message for these groups, one after another; false when it failed (each group is then redone alone). */
async function runMessage(
  session: PlanSession,
  groups: WhatIfGroup[],
  message: number[],
  results: (WhatIfResult | undefined)[],
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const drop = session.dropTransientSql();
  const parts: string[] = [];
  const layout = message.map((i) => {
    const g = groups[i]!;
    const createAt = parts.length;
    for (const d of g.definitions) parts.push(session.createTransientSql(d));
    const planAt = g.statements.map((s) => {
      const sql = session.explainSql(s.text, s.paramCount, s.values ? { values: s.values } : {});
      const planned = parts.length + sql.planAt;
      parts.push(...sql.parts);
      return planned;
    });
    parts.push(drop);
    return { i, createAt, planAt };
  });
  let res: Awaited<ReturnType<PlanSession['runBatch']>>;
  try {
    res = await session.runBatch(parts);
  } catch {
    throwIfAborted(signal, 'index advice');
    await session.recover();
    return false;
  }
  for (const { i, createAt, planAt } of layout) {
    const created = groups[i]!.definitions.map((_, k) => {
      const row = res[createAt + k]!.rows[0]!;
      return { oid: Number(row['oid']), name: String(row['name']), sizeBytes: Number(row['size']) };
    });
    const outcomes = planAt.map((at): ExplainOutcome => ({ ok: true, ...readPlan(res[at]!) }));
    results[i] = { refused: false, created, outcomes };
  }
  return true;
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
