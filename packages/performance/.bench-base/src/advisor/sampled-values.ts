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
  /** Share of the sampled executions of this predicate that used this value (for `mcv`: its share of the rows). */
  share: number;
  samples: number;
  /** Where the value comes from: pg_qualstats' samples (default), or pg_stats' most common values. */
  source?: 'mcv';
  /** For `mcv`: the rows per call pg_stat_statements saw, which chose the value. */
  rowsPerCall?: number;
  /**
   * The value is not one of the column's most common values (an e-mail, an id): it may identify a person, so
   * reports show `<withheld>` instead. A common value (`'pending'`) is a category shared by many rows.
   */
  withheld?: boolean;
}

/** The text a literal stands for: `'it''s'::text` → `it's`, `42` → `42`. */
const literalContent = (literal: string): string => {
  const m = /^'((?:[^']|'')*)'(?:::.*)?$/s.exec(literal);
  return m ? m[1]!.replaceAll("''", "'") : literal;
};

/** What a report may print for an assumed value. */
export const shownValue = (a: AssumedValue): string => (a.withheld ? '<withheld>' : a.value);

/** What the most-common-values fallback needs to know about one equality column of the statement. */
export interface McvFacts {
  mcv: { value: string; freq: number }[];
  reltuples: number;
  /** format_type of the column, for the literal's cast. */
  type: string;
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
 * Representative values for the parameters of a statement: for each `column op $n`, the constant pg_qualstats
 * saw most often for that statement, column and operator. Without a sample, an equality on a column with
 * most-common-values statistics gets the value that explains the rows per call pg_stat_statements observed
 * (see {@link mcvValue}). Parameters still unknown stay `null` (the planner keeps them as parameters: a custom
 * plan with a NULL would be planned as "no rows"). Undefined when no parameter got a value.
 */
export function representativeValues(input: {
  shape: StatementShape;
  queryid: string;
  sampled: Map<string, SampledConstant[]>;
  rowsPerCall: number;
  mcvFor: (column: string) => McvFacts | undefined;
}): { values: (string | null)[]; assumed: AssumedValue[] } | undefined {
  const { shape } = input;
  if (shape.paramCount === 0) return undefined;
  const mine = input.sampled.get(input.queryid) ?? [];
  const values: (string | null)[] = Array.from({ length: shape.paramCount }, () => null);
  const assumed: AssumedValue[] = [];
  for (const use of shape.uses) {
    if (!use.param) continue;
    const { number, operator } = use.param;
    if (values[number - 1] !== null) continue;
    const seen = mine.filter((c) => c.column === use.column && c.operator === operator);
    const total = seen.reduce((s, c) => s + c.occurrences, 0);
    const top = [...seen].sort((a, b) => b.occurrences - a.occurrences)[0];
    if (top && SAFE_LITERAL.test(top.value)) {
      values[number - 1] = top.value;
      const common = input.mcvFor(use.column)?.mcv.some((m) => m.value === literalContent(top.value)) ?? false;
      assumed.push({
        param: number,
        column: use.column,
        operator,
        value: top.value,
        share: total > 0 ? top.occurrences / total : 0,
        samples: total,
        ...(common ? {} : { withheld: true }),
      });
      continue;
    }
    const facts = operator === '=' && !top ? input.mcvFor(use.column) : undefined;
    const picked = facts && mcvValue(facts, input.rowsPerCall);
    if (!picked) continue;
    values[number - 1] = picked.literal;
    assumed.push({
      param: number,
      column: use.column,
      operator,
      value: picked.literal,
      share: picked.freq,
      samples: 0,
      source: 'mcv',
      rowsPerCall: Math.round(input.rowsPerCall * 10) / 10,
    });
  }
  if (values.every((v) => v === null)) return undefined;
  return { values, assumed };
}

/**
 * The most common value the application most plausibly sends, from the rows its calls returned: the other
 * predicates of the statement can only remove rows, so a value whose rows (reltuples × frequency) are fewer
 * than the observed rows per call is ruled out, and of the rest the rarest is the tightest explanation. A
 * skewed column where 99% of rows are 'done' and calls return ~80 rows gives the rare value, which the
 * generic plan's average selectivity would never assume. With a LIMIT the observed rows are capped, which
 * leans towards rarer values; the evidence shows the value and the rows per call it rests on.
 */
export function mcvValue(facts: McvFacts, rowsPerCall: number): { literal: string; freq: number } | undefined {
  if (!(rowsPerCall >= 0) || facts.reltuples <= 0) return undefined;
  const plausible = facts.mcv
    .filter((m) => facts.reltuples * m.freq >= rowsPerCall)
    .sort((a, b) => a.freq - b.freq || a.value.localeCompare(b.value));
  const best = plausible[0];
  if (!best) return undefined;
  const literal = `'${best.value.replaceAll("'", "''")}'::${facts.type}`;
  return SAFE_LITERAL.test(literal) ? { literal, freq: best.freq } : undefined;
}

export const describeAssumed = (a: AssumedValue[]): string =>
  a
    .map((x) =>
      x.source === 'mcv'
        ? `${x.column} ${x.operator} ${shownValue(x)} (a most common value from pg_stats, ${formatShare(x.share)} of the rows, the rarest that explains the ${x.rowsPerCall} rows per call observed)`
        : `${x.column} ${x.operator} ${shownValue(x)} (${Math.round(x.share * 100)}% of ${x.samples} sampled)`,
    )
    .join(', ');

const formatShare = (f: number): string => (f >= 0.01 ? `${Math.round(f * 100)}%` : `${(f * 100).toPrecision(2)}%`);
