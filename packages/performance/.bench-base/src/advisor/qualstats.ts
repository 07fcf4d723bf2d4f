import { type QueryOptions, quoteIdent } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

/**
 * One predicate pg_qualstats saw at run time, summed over its constants
 * (pg_qualstats keeps one entry per constant value by default).
 */
export interface QualPredicate {
  /** pg_stat_statements queryid (pg_qualstats uses the same hash). */
  queryid: string;
  tableOid: number;
  column: string;
  /** Operator name, e.g. `=` or `<`. */
  operator: string;
  /** From the operator's B-tree strategy; `join` when both sides are columns. */
  kind: 'eq' | 'range' | 'join';
  /** `f`: evaluated as a filter after a scan (no index served it); `i`: as an index condition. */
  evalType: 'f' | 'i';
  /** Executions of the plan node that evaluated it. */
  occurrences: number;
  /** Rows it was evaluated on. */
  executions: number;
  /**
   * Rows it removed. pg_qualstats charges every condition ANDed in one scan with the rows the scan removed,
   * so this is the conjunction's effect unless `alone`.
   */
  filtered: number;
  /** The only condition of its scan (pg_qualstats `qualid` is null): `filtered` is its own effect. */
  alone: boolean;
}

export interface QualstatsReading {
  predicates: QualPredicate[];
  /**
   * `pg_qualstats.sample_rate`: the share of statements sampled (-1 means
   * 1/max_connections, the default). Counts are samples, not totals, below 1.
   */
  sampleRate: number | null;
}

/**
 * Reads the predicates pg_qualstats collected in this database, one row per
 * (statement, column, operator, evaluation type). Operators without a B-tree
 * strategy (LIKE, full-text, …) are left out: no B-tree candidate can serve them.
 */
export async function readQualstats(
  db: SqlRunner,
  schema: string,
  options: QueryOptions = {},
): Promise<QualstatsReading> {
  const fn = `${quoteIdent(schema)}.pg_qualstats()`;
  const { rows } = await db.query<Record<string, unknown>>(
    `WITH q AS (
       SELECT queryid, lrelid, lattnum, rrelid, rattnum, opno, eval_type, occurences, execution_count, nbfiltered,
              qualid IS NULL AS alone
         FROM ${fn}
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
     ), sides AS (
       SELECT queryid, lrelid AS relid, lattnum AS attnum, opno, eval_type, occurences, execution_count, nbfiltered,
              alone, rrelid IS NOT NULL AS is_join
         FROM q WHERE lrelid IS NOT NULL
       UNION ALL
       SELECT queryid, rrelid, rattnum, opno, eval_type, occurences, execution_count, nbfiltered,
              alone, lrelid IS NOT NULL
         FROM q WHERE rrelid IS NOT NULL
     ), agg AS (
     SELECT s.queryid::text AS queryid, s.relid::int8 AS table_oid, a.attname AS column, o.oprname AS operator,
            s.is_join, s.eval_type::text AS eval_type, s.alone,
            (SELECT min(am.amopstrategy) FROM pg_amop am JOIN pg_am m ON m.oid = am.amopmethod
              WHERE m.amname = 'btree' AND am.amopopr = s.opno)::int AS strategy,
            sum(s.occurences)::float8 AS occurrences, sum(s.execution_count)::float8 AS executions,
            sum(s.nbfiltered)::float8 AS filtered
       FROM sides s
       JOIN pg_attribute a ON a.attrelid = s.relid AND a.attnum = s.attnum AND NOT a.attisdropped
       JOIN pg_operator o ON o.oid = s.opno
      GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
     )
     -- One round trip: the sample rate comes along even when there are no predicates yet.
     SELECT current_setting('pg_qualstats.sample_rate', true) AS sample_rate, agg.*
       FROM (SELECT 1) one LEFT JOIN agg ON true`,
    [],
    options,
  );
  const predicates: QualPredicate[] = [];
  for (const r of rows) {
    if (r['queryid'] === null || r['queryid'] === undefined) continue;
    const strategy = r['strategy'] === null ? null : Number(r['strategy']);
    if (strategy === null) continue;
    predicates.push({
      queryid: String(r['queryid']),
      tableOid: Number(r['table_oid']),
      column: String(r['column']),
      operator: String(r['operator']),
      kind: r['is_join'] ? 'join' : strategy === 3 ? 'eq' : 'range',
      evalType: r['eval_type'] === 'i' ? 'i' : 'f',
      occurrences: Number(r['occurrences']),
      executions: Number(r['executions']),
      filtered: Number(r['filtered']),
      alone: Boolean(r['alone']),
    });
  }
  const v = rows[0]?.['sample_rate'] as string | null | undefined;
  return { predicates, sampleRate: v === null || v === undefined || v === '' ? null : Number(v) };
}

/**
 * Observed selectivity per `tableOid.column`: rows kept / rows evaluated, from filter conditions that were
 * alone in their scan (for ANDed ones pg_qualstats only knows the conjunction's effect).
 */
export function observedSelectivity(predicates: QualPredicate[]): Map<string, number> {
  const sums = new Map<string, { executions: number; filtered: number }>();
  for (const p of predicates) {
    if (p.evalType !== 'f' || p.kind === 'join' || !p.alone || p.executions <= 0) continue;
    const key = `${p.tableOid}.${p.column}`;
    const s = sums.get(key) ?? { executions: 0, filtered: 0 };
    s.executions += p.executions;
    s.filtered += p.filtered;
    sums.set(key, s);
  }
  return new Map([...sums].map(([k, s]) => [k, Math.max(0, 1 - s.filtered / s.executions)]));
}

/** One evidence sentence for the columns of an index, over the given statements. */
export function qualstatsEvidence(
  predicates: QualPredicate[],
  tableOid: number,
  columns: string[],
  statements: ReadonlySet<string>,
): string | undefined {
  const parts: string[] = [];
  for (const column of columns) {
    const seen = predicates.filter(
      (p) => p.tableOid === tableOid && p.column === column && statements.has(p.queryid) && p.kind !== 'join',
    );
    if (seen.length === 0) continue;
    const executions = seen.reduce((s, p) => s + p.executions, 0);
    const filtered = seen.reduce((s, p) => s + p.filtered, 0);
    const asFilter = seen.filter((p) => p.evalType === 'f').reduce((s, p) => s + p.executions, 0);
    const ops = [...new Set(seen.map((p) => p.operator))].join('/');
    parts.push(
      `${column} ${ops} evaluated on ${executions} row(s)` +
        (executions > 0 ? `, removing ${((filtered / executions) * 100).toFixed(1)}%` : '') +
        (seen.every((p) => p.alone) ? '' : ' (with the conditions ANDed to it)') +
        (asFilter === executions ? ' as a filter (no index served it)' : ''),
    );
  }
  return parts.length > 0 ? `pg_qualstats: ${parts.join('; ')}.` : undefined;
}
