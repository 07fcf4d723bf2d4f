import { type QueryOptions, quoteIdent } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import type { StatementShape } from './parse-statement.js';

/** One constant pg_qualstats sampled for a statement's predicate, with how often it was seen. */
export interface SampledConstant {
  queryid: string;
  column: string;
  operator: string;
  /** SQL literal as pg_qualstats deparsed it, e.g. `'pending'::text` or `42`. */
  value: string;
  occurrences: number;
}

/** A value the advisor assumed for a parameter, shown in the evidence. */
export interface AssumedValue {
  param: number;
  column: string;
  operator: string;
  value: string;
  /** Share of the sampled executions of this predicate that used this value. */
  share: number;
  samples: number;
}

/**
 * The constants pg_qualstats sampled (it keeps one entry per constant with `pg_qualstats.track_constants`,
 * the default), per statement, column and operator; join quals have none.
 */
export async function readSampledConstants(
  db: SqlRunner,
  schema: string,
  options: QueryOptions = {},
): Promise<SampledConstant[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT q.queryid::text AS queryid, a.attname AS column, o.oprname AS operator, q.constvalue::text AS value,
            sum(q.occurences)::float8 AS occurrences
       FROM ${quoteIdent(schema)}.pg_qualstats() q
       JOIN pg_attribute a ON a.attrelid = q.lrelid AND a.attnum = q.lattnum
       JOIN pg_operator o ON o.oid = q.opno
      WHERE q.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND q.queryid IS NOT NULL AND q.constvalue IS NOT NULL AND q.rrelid IS NULL
      GROUP BY 1, 2, 3, 4`,
    [],
    options,
  );
  return rows.map((r) => ({
    queryid: String(r['queryid']),
    column: String(r['column']),
    operator: String(r['operator']),
    value: String(r['value']),
    occurrences: Number(r['occurrences']),
  }));
}

/**
 * Only a number, or one quoted string with an optional plain type cast, is passed on as a literal: the text
 * is the server's own deparse, but pg_qualstats may truncate it, and a cut literal must not become SQL.
 */
const SAFE_LITERAL = /^(?:-?\d+(?:\.\d+)?|'(?:[^']|'')*'(?:::[a-z_][a-z0-9_ ]*(?:\(\d+(?:,\d+)?\))?)?)$/i;

/**
 * Representative values for every parameter of a statement: for each `column op $n`, the constant pg_qualstats
 * saw most often for that statement, column and operator. Only when every parameter has one (a custom plan with
 * a NULL would be planned as "no rows"); otherwise the statement keeps its generic plan.
 */
export function representativeValues(
  shape: StatementShape,
  queryid: string,
  sampled: Map<string, SampledConstant[]>,
): { values: string[]; assumed: AssumedValue[] } | undefined {
  if (shape.paramCount === 0) return undefined;
  const mine = sampled.get(queryid);
  if (!mine) return undefined;
  const values: (string | undefined)[] = Array.from({ length: shape.paramCount }, () => undefined);
  const assumed: AssumedValue[] = [];
  for (const use of shape.uses) {
    if (!use.param) continue;
    const { number, operator } = use.param;
    const seen = mine.filter((c) => c.column === use.column && c.operator === operator);
    const total = seen.reduce((s, c) => s + c.occurrences, 0);
    const top = [...seen].sort((a, b) => b.occurrences - a.occurrences)[0];
    if (!top || !SAFE_LITERAL.test(top.value) || values[number - 1] !== undefined) continue;
    values[number - 1] = top.value;
    assumed.push({
      param: number,
      column: use.column,
      operator,
      value: top.value,
      share: total > 0 ? top.occurrences / total : 0,
      samples: total,
    });
  }
  if (values.some((v) => v === undefined)) return undefined;
  return { values: values as string[], assumed };
}

export const describeAssumed = (a: AssumedValue[]): string =>
  a
    .map((x) => `${x.column} ${x.operator} ${x.value} (${Math.round(x.share * 100)}% of ${x.samples} sampled)`)
    .join(', ');
