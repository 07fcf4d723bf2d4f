import { type QueryOptions, quoteIdent } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import type { PerformanceReport } from '../report/types.js';

export interface StoredAnalysis {
  report: PerformanceReport;
  /** When the report was generated (ISO). */
  generatedAt: string;
  /** Milliseconds since then, at the time of reading. */
  ageMs: number;
  /** Where it came from: this process's memory, or the analysis table (written by any process). */
  source: 'memory' | 'table';
}

/**
 * The latest full report, kept so that status reads answer in milliseconds instead of re-running the
 * advisor: in memory, and optionally in one row of a table so that another process (the CLI, a second
 * replica) reads what the maintenance cycle computed. The report carries normalised statement text only
 * (literals replaced by $n), so the row holds no values from the workload.
 */
export class AnalysisStore {
  #latest: PerformanceReport | undefined;
  readonly #table: { schema: string; table: string } | undefined;

  constructor(table: { schema: string; table: string } | undefined) {
    this.#table = table;
  }

  get #name(): string {
    return `${quoteIdent(this.#table!.schema)}.${quoteIdent(this.#table!.table)}`;
  }

  /** This process only (nothing written to the database). */
  remember(report: PerformanceReport): void {
    this.#latest = report;
  }

  async save(db: SqlRunner, report: PerformanceReport, options: QueryOptions = {}): Promise<void> {
    this.#latest = report;
    if (!this.#table) return;
    // The table is created in an existing schema only: whoever owns the schema (the suite's maintenance cycle)
    // creates it; until then the analysis stays in memory.
    const schema = await db.query<{ present: boolean }>(
      'SELECT to_regnamespace($1) IS NOT NULL AS present',
      [quoteIdent(this.#table.schema)],
      options,
    );
    if (!schema.rows[0]?.present) return;
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${this.#name} (
         id int PRIMARY KEY CHECK (id = 1), generated_at timestamptz NOT NULL, report jsonb NOT NULL)`,
      [],
      options,
    );
    await db.query(
      `INSERT INTO ${this.#name} (id, generated_at, report) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET generated_at = EXCLUDED.generated_at, report = EXCLUDED.report
       WHERE ${this.#name}.generated_at <= EXCLUDED.generated_at`,
      [report.generatedAt, JSON.stringify(report)],
      options,
    );
  }

  /** The newer of memory and the table; null when neither has one. */
  async latest(db: SqlRunner, options: QueryOptions = {}): Promise<StoredAnalysis | null> {
    let best: StoredAnalysis | null = this.#latest ? this.#wrap(this.#latest, 'memory') : null;
    if (this.#table) {
      const present = await db.query<{ present: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS present',
        [this.#name],
        options,
      );
      if (!present.rows[0]?.present) return best;
      const { rows } = await db.query<{ report: PerformanceReport }>(
        `SELECT report FROM ${this.#name} WHERE id = 1 AND generated_at > $1::timestamptz`,
        [best?.generatedAt ?? '-infinity'],
        options,
      );
      const stored = rows[0]?.report;
      if (stored) best = this.#wrap(stored, 'table');
    }
    return best;
  }

  #wrap(report: PerformanceReport, source: StoredAnalysis['source']): StoredAnalysis {
    return { report, generatedAt: report.generatedAt, ageMs: Date.now() - Date.parse(report.generatedAt), source };
  }
}
