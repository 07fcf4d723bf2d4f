import { describe, expect, it } from 'vitest';
import { type RestoreStepEvent, restoreStepTracker, stepOfLine } from '../src/restore/restore-steps.js';

/** pg_restore 15 `--verbose` lines for a table with a primary key, an index, a foreign key and a trigger. */
const VERBOSE = [
  'pg_restore: connecting to database for restore',
  'pg_restore: creating TABLE "public.rooms"',
  'pg_restore: creating SEQUENCE "public.rooms_id_seq"',
  'pg_restore: creating TABLE "public.bookings"',
  'pg_restore: processing data for table "public.rooms"',
  'pg_restore: processing data for table "public.bookings"',
  'pg_restore: executing SEQUENCE SET rooms_id_seq',
  'pg_restore: creating CONSTRAINT "public.rooms rooms_pkey"',
  'pg_restore: creating INDEX "public.bookings_room_id_idx"',
  'pg_restore: creating FK CONSTRAINT "public.bookings bookings_room_id_fkey"',
  'pg_restore: creating TRIGGER "public.bookings bookings_audit"',
];

describe("pg_restore's --verbose lines as restore steps", () => {
  it('classifies each object kind', () => {
    expect(stepOfLine('creating TABLE "public.rooms"')).toBe('schema');
    expect(stepOfLine('processing data for table "public.rooms"')).toBe('data');
    expect(stepOfLine('executing SEQUENCE SET rooms_id_seq')).toBe('data');
    // A primary key builds its index: it is index work, and pg_dump sorts it before plain indexes.
    expect(stepOfLine('creating CONSTRAINT "public.rooms rooms_pkey"')).toBe('indexes');
    expect(stepOfLine('creating INDEX "public.x"')).toBe('indexes');
    expect(stepOfLine('creating FK CONSTRAINT "public.b b_fkey"')).toBe('constraints');
    expect(stepOfLine('creating CHECK CONSTRAINT "public.b b_check"')).toBe('constraints');
    expect(stepOfLine('creating TRIGGER "public.b t"')).toBe('constraints');
    expect(stepOfLine('connecting to database for restore')).toBeUndefined();
  });

  it('reports each step with its objects done, closes a step before the next, and keeps error lines', () => {
    const events: RestoreStepEvent[] = [];
    const consume = restoreStepTracker((e) => events.push(e));
    const consumed = VERBOSE.map(consume);
    expect(consumed.every(Boolean)).toBe(true);
    expect(events).toEqual([
      { step: 'schema', items: 0 },
      { step: 'schema', items: 1 },
      { step: 'schema', items: 2 },
      { step: 'schema', items: 3 },
      { step: 'data', items: 0 },
      { step: 'data', items: 1 },
      { step: 'data', items: 2 },
      { step: 'data', items: 3 },
      { step: 'indexes', items: 0 },
      { step: 'indexes', items: 1 },
      { step: 'indexes', items: 2 },
      { step: 'constraints', items: 0 },
      { step: 'constraints', items: 1 },
    ]);
    // Errors stay in the captured stderr for the failure message.
    expect(consume('pg_restore: error: could not execute query: ERROR:  relation "rooms" already exists')).toBe(false);
    expect(consume('Command was: CREATE TABLE public.rooms (')).toBe(false);
    expect(consume('pg_restore: warning: errors ignored on restore: 1')).toBe(false);
  });

  it('never steps back: with --jobs a late table load after an index build stays in the index step', () => {
    const events: RestoreStepEvent[] = [];
    const consume = restoreStepTracker((e) => events.push(e));
    consume('pg_restore: creating INDEX "public.a_idx"');
    consume('pg_restore: processing data for table "public.b"');
    expect(events).toEqual([{ step: 'indexes', items: 0 }]);
  });
});
