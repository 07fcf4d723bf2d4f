import type { ColumnStats } from '../catalog/catalog.js';
import { type CandidateIndex, rowsPerValue } from './candidates.js';

export interface HeuristicInput {
  candidate: CandidateIndex;
  reltuples: number;
  /** Calls of the statements that produced this candidate. */
  calls: number;
  stats: (column: string) => ColumnStats | undefined;
  /** Share of rows a filter on the column kept at run time (pg_qualstats), when known. */
  observedSelectivity?: (column: string) => number | undefined;
}

export interface HeuristicPick {
  candidate: CandidateIndex;
  score: number;
  /** Estimated fraction of the table one lookup reads through the leading column. */
  selectivity: number;
  /** Whether `selectivity` was observed at run time (pg_qualstats) rather than estimated from pg_stats. */
  observed: boolean;
}

/**
 * Without hypopg nothing can be validated by the planner, so candidates are
 * ranked the way PgHero does: by how selective the leading column is
 * (pg_stats n_distinct / null_frac, or the share of rows the filter kept at
 * run time when pg_qualstats saw it) and how often the statements run. A
 * column with no statistics, or one matching over `maxSelectivity` of the
 * table, is not worth an index. Results are marked `validated: false`.
 */
export function rankHeuristic(inputs: HeuristicInput[], maxIndexes: number, maxSelectivity = 0.1): HeuristicPick[] {
  const picks: HeuristicPick[] = [];
  for (const input of inputs) {
    const lead = input.candidate.columns[0]!;
    const stats = input.stats(lead.name);
    // What the workload's real values kept beats an average over all values (pg_stats).
    const observed = input.observedSelectivity?.(lead.name);
    if ((!stats && observed === undefined) || input.reltuples <= 0) continue;
    let selectivity = observed ?? rowsPerValue(input.reltuples, stats) / input.reltuples;
    // A range or sort lead narrows less predictably; PgHero assumes a tenth of the rows.
    if (input.candidate.eqCount === 0) selectivity = Math.max(selectivity, 0.1);
    if (selectivity > maxSelectivity && input.candidate.eqCount > 0) continue;
    if (input.candidate.eqCount === 0 && !input.candidate.servesSort) continue;
    const widthBonus = 1 + 0.1 * (input.candidate.columns.length - 1);
    picks.push({
      candidate: input.candidate,
      selectivity,
      observed: observed !== undefined,
      score: input.calls * input.reltuples * (1 - selectivity) * widthBonus,
    });
  }
  picks.sort((a, b) => b.score - a.score);
  const chosen: HeuristicPick[] = [];
  for (const p of picks) {
    if (chosen.length >= maxIndexes) break;
    // Skip a pick that is a prefix of, or extended by, one already chosen on the same table.
    const overlaps = chosen.some((c) => {
      if (c.candidate.tableOid !== p.candidate.tableOid) return false;
      const [short, long] = c.candidate.columns.length <= p.candidate.columns.length ? [c, p] : [p, c];
      return short.candidate.columns.every((col, i) => long.candidate.columns[i]?.name === col.name);
    });
    if (!overlaps) chosen.push(p);
  }
  return chosen;
}
