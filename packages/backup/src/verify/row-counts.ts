import { DbrsError } from '@voicehive/db-core';

export interface RowCountComparison {
  compared: number;
  /** `table: expected N, restored M` for every table that differs or is missing. */
  mismatches: string[];
}

/**
 * Compares restored row counts with the manifest's. With `strict` any
 * difference is VERIFY_FAILED; otherwise (a physical backup of a cluster
 * that was written to after the counts were taken) differences are only
 * returned, but a missing table still fails.
 */
export function compareRowCounts(
  expected: Record<string, number>,
  actual: Record<string, number>,
  strict: boolean,
): RowCountComparison {
  const mismatches: string[] = [];
  const missing: string[] = [];
  let compared = 0;
  for (const [table, want] of Object.entries(expected)) {
    compared++;
    if (actual[table] === undefined) missing.push(table);
    else if (actual[table] !== want) mismatches.push(`${table}: expected ${want}, restored ${actual[table]}`);
  }
  if (missing.length || (strict && mismatches.length)) {
    const all = [...missing.map((t) => `${t}: expected ${expected[t]}, restored missing`), ...mismatches];
    throw new DbrsError(
      'VERIFY_FAILED',
      `Restored row counts differ from the backup's: ${all.slice(0, 5).join('; ')}.`,
      {
        details: { mismatches: all },
      },
    );
  }
  return { compared, mismatches };
}
