import type { ProgressStep } from '../kinds.js';

/** What a restore reports as pg_restore works through the dump. */
export interface RestoreStepEvent {
  step: Extract<ProgressStep, 'schema' | 'data' | 'indexes' | 'constraints'>;
  /** Objects finished in this step so far. */
  items: number;
}

type Step = RestoreStepEvent['step'];
const ORDER: Step[] = ['schema', 'data', 'indexes', 'constraints'];

/** pg_restore's `--verbose` info lines (PostgreSQL 12+ prefix them `pg_restore: `; errors say `error:`). */
const INFO = /^pg_restore: (?!error:|warning:|detail:|hint:)(.*)$/;

/**
 * The step a `--verbose` line starts, from pg_restore's wording: "processing
 * data for table", "executing SEQUENCE SET" load data; "creating INDEX"
 * (and INDEX ATTACH) and "creating CONSTRAINT" (primary key, unique and
 * exclusion constraints: each builds its index, and pg_dump sorts them
 * before plain indexes) are index builds; "creating FK CONSTRAINT / CHECK
 * CONSTRAINT / TRIGGER / RULE / POLICY" come after them; any other
 * "creating X" is schema. Lines naming no object (connecting, dropping…) start none.
 */
export function stepOfLine(text: string): Step | undefined {
  if (/^processing data for table /.test(text) || /^executing SEQUENCE SET /.test(text)) return 'data';
  const created = /^creating ([A-Z][A-Z ]*?) "/.exec(text);
  if (!created) return undefined;
  const desc = created[1]!;
  if (desc === 'INDEX' || desc === 'INDEX ATTACH' || desc === 'CONSTRAINT') return 'indexes';
  if (/CONSTRAINT$/.test(desc) || ['TRIGGER', 'EVENT TRIGGER', 'RULE', 'POLICY'].includes(desc)) return 'constraints';
  return 'schema';
}

/**
 * Follows pg_restore's `--verbose` lines and reports the step it is in with
 * the objects done so far. Steps only move forward (with --jobs, data of one
 * table and the index of another overlap; once an index is built the restore
 * is past its data). Returns a line handler for spawnTool's `onStderrLine`:
 * info lines are consumed, errors are kept for the failure message.
 */
export function restoreStepTracker(onStep: (e: RestoreStepEvent) => void): (line: string) => boolean {
  let current = -1;
  let items = 0;
  return (line) => {
    const m = INFO.exec(line);
    if (!m) return false;
    const step = stepOfLine(m[1]!);
    if (step === undefined) return true;
    const at = ORDER.indexOf(step);
    if (at > current) {
      // The previous step is complete (its last object included); what began this one is running, not done.
      if (current >= 0) onStep({ step: ORDER[current]!, items: items + 1 });
      current = at;
      items = 0;
    } else if (at === current) items++;
    else return true;
    onStep({ step: ORDER[current]!, items });
    return true;
  };
}
