import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface SequenceUsage {
  schema: string;
  sequence: string;
  /** Owning column, when the sequence backs one (serial / identity). */
  column: string | null;
  lastValue: number;
  /** The smaller of the sequence max and the column type's max: an int4 column on a bigint sequence overflows first. */
  maxValue: number;
  usedRatio: number;
}

export interface SequencesReport {
  nearExhaustion: SequenceUsage[];
  /** Sequences whose last_value this role cannot read (needs USAGE or SELECT on the sequence). */
  unreadable: number;
}

const TYPE_MAX: Record<string, number> = { smallint: 32767, integer: 2147483647, bigint: 2 ** 63 - 1 };

export async function readSequences(
  db: SqlRunner,
  warningRatio: number,
  options: QueryOptions = {},
): Promise<SequencesReport> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ps.schemaname, ps.sequencename, ps.last_value::float8 AS last_value, ps.max_value::float8 AS max_value,
            has_sequence_privilege(seq.oid, 'SELECT,USAGE') AS readable,
            tn.nspname || '.' || t.relname || '.' || a.attname AS column_name, format_type(a.atttypid, NULL) AS column_type
       FROM pg_sequences ps
       JOIN pg_namespace sn ON sn.nspname = ps.schemaname
       JOIN pg_class seq ON seq.relname = ps.sequencename AND seq.relnamespace = sn.oid
       LEFT JOIN pg_depend d ON d.objid = seq.oid AND d.classid = 'pg_class'::regclass
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = d.refobjid
       LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid`,
    [],
    options,
  );
  const report: SequencesReport = { nearExhaustion: [], unreadable: 0 };
  for (const r of rows) {
    if (!r['readable']) {
      report.unreadable++;
      continue;
    }
    if (r['last_value'] === null) continue;
    const typeMax = TYPE_MAX[String(r['column_type'])] ?? Number.POSITIVE_INFINITY;
    const maxValue = Math.min(Number(r['max_value']), typeMax);
    const lastValue = Number(r['last_value']);
    const usedRatio = lastValue / maxValue;
    if (usedRatio >= warningRatio) {
      report.nearExhaustion.push({
        schema: String(r['schemaname']),
        sequence: String(r['sequencename']),
        column: (r['column_name'] as string | null) ?? null,
        lastValue,
        maxValue,
        usedRatio,
      });
    }
  }
  return report;
}
