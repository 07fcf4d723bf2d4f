import type { AdvisorOptions } from '../../src/index.js';

/**
 * One case of a peer advisor's published test suite, restated in our own form: the schema is the fixture of
 * its suite, the statements are what the application sends, `peer` is the set of indexes the peer's test
 * expects (`schema.table (col, …)`, empty: none). `ours` is only given where we deliberately differ, with
 * the argument in `why` (a PostgreSQL documentation link and, where it helps, the planner costs).
 */
export interface PeerCase {
  /** The peer's test name. */
  id: string;
  statements: string[];
  peer: string[];
  ours?: string[];
  why?: string;
  /** Write statements run inside a transaction that is rolled back (pg_stat_statements still counts them). */
  rollback?: boolean;
  /** Statements the server rejects (the application gets an error; nothing reaches pg_stat_statements). */
  failing?: boolean;
  advisor?: AdvisorOptions;
  /** Tables this case needs (created before its statements run) and how to remove them afterwards. */
  setup?: string;
  teardown?: string;
  /**
   * For a difference argued by cost: the statements are planned under our indexes and under the peer's
   * (hypothetical, hypopg), and ours must cost no more in total (`within`: allowed excess as a fraction).
   */
  compareCost?: { within: number };
  /** The same workload advised again with other options, and what that gives (shows what the difference rests on). */
  variant?: { advisor: AdvisorOptions; expect: string[] };
  /** Calls of each statement (default 5). */
  calls?: number;
}

export interface Agreement {
  peer: string;
  cases: number;
  agree: number;
  argued: string[];
}

export function agreement(peer: string, cases: PeerCase[]): Agreement {
  const argued = cases.filter((c) => c.ours !== undefined).map((c) => c.id);
  return { peer, cases: cases.length, agree: cases.length - argued.length, argued };
}
