import { DbrsError, quoteLiteral, throwIfAborted } from '@voicehive/db-core';
import { withClient } from '../internal/pg-client.js';
import { HOTEL_CONSTRAINTS_DDL, HOTEL_DROP_DDL, HOTEL_TABLES, HOTEL_TABLES_DDL, type HotelTable } from './schema.js';
import {
  BOOKING_SOURCES,
  CALL_INTENTS,
  CALL_OUTCOMES,
  CITIES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  HOTEL_WORDS,
  LANGUAGES,
  LAST_NAMES,
  LOYALTY_TIERS,
  TRANSCRIPT_PHRASES,
} from './vocabulary.js';

/** Every generated timestamp is relative to this instant, never to now(), so loads are reproducible. */
export const HOTEL_WORKLOAD_EPOCH = '2026-01-01T00:00:00Z';

export const HOTEL_COUNT = 50;
export const EVENTS_PER_CALL = 8;

/** Rows per unit of scale; hotels (50) and room_types (8) stay fixed. */
export const HOTEL_ROWS_PER_SCALE = {
  rooms: 100,
  guests: 500,
  bookings: 1000,
  payments: 1000,
  call_sessions: 600,
} as const;

export interface LoadHotelWorkloadOptions {
  /** Size multiplier; row counts grow linearly. Default 1 (~8 000 rows, a few MB). Scale 250 is ~1 GB on disk. */
  scale?: number;
  /** Same seed, same data. A non-negative integer below 2^31. Default 42. */
  seed?: number;
  /** Drop existing workload tables first. Default false: fail if they exist. */
  replace?: boolean;
  signal?: AbortSignal;
}

export interface HotelWorkloadReport {
  scale: number;
  seed: number;
  rows: Record<HotelTable, number>;
  /** pg_total_relation_size of the workload tables (heap, TOAST and indexes). */
  bytes: number;
  durationMs: number;
}

export interface HotelWorkloadInfo {
  scale: number;
  seed: number;
  rows: Record<HotelTable, number>;
}

export function hotelRowCounts(scale: number): Record<HotelTable, number> {
  const n = (perScale: number): number => Math.max(1, Math.round(perScale * scale));
  const callSessions = n(HOTEL_ROWS_PER_SCALE.call_sessions);
  return {
    hotels: HOTEL_COUNT,
    room_types: 8,
    rooms: Math.max(HOTEL_COUNT, n(HOTEL_ROWS_PER_SCALE.rooms)),
    guests: n(HOTEL_ROWS_PER_SCALE.guests),
    bookings: n(HOTEL_ROWS_PER_SCALE.bookings),
    payments: n(HOTEL_ROWS_PER_SCALE.payments),
    call_sessions: callSessions,
    call_events: callSessions * EVENTS_PER_CALL,
  };
}

const textArray = (items: readonly string[]): string => `ARRAY[${items.map(quoteLiteral).join(',')}]::text[]`;

/**
 * Server-side generators. Values come from hashint8extended(id, seed), a pure
 * function of row number and seed, so the data does not depend on evaluation
 * order or plan the way random() after setseed() would.
 */
function generators(seed: number) {
  const hash = (stream: number, id: string): string =>
    `(hashint8extended((${id})::bigint * 131 + ${stream}, ${seed}) & 2147483647)`;
  const int = (stream: number, id: string, n: number): string => `(${hash(stream, id)} % ${n})`;
  const frac = (stream: number, id: string): string => `(${hash(stream, id)}::float8 / 2147483648.0)`;
  const pick = (stream: number, id: string, items: readonly string[]): string =>
    `(${textArray(items)})[1 + ${int(stream, id, items.length)}]`;
  const epoch = `timestamptz ${quoteLiteral(HOTEL_WORKLOAD_EPOCH)}`;
  return { hash, int, frac, pick, epoch };
}

/** When call session `id` started; call_events recompute it instead of joining. */
function callStartedAt(g: ReturnType<typeof generators>, id: string): string {
  return `(${g.epoch} - ${g.int(34, id, 180 * 86_400)} * interval '1 second')`;
}

function callDuration(g: ReturnType<typeof generators>, id: string): string {
  return `(20 + ${g.int(35, id, 600)})`;
}

// Long: the hotel workload's generated rows, one block per table (data).
function insertStatements(rows: Record<HotelTable, number>, seed: number): Array<[HotelTable, string]> {
  const g = generators(seed);
  const hotels = Array.from({ length: HOTEL_COUNT }, (_, index) => {
    const i = index + 1;
    const [city, country, timezone] = CITIES[index % CITIES.length]!;
    const word = HOTEL_WORDS[(index + Math.floor(index / CITIES.length) * 3) % HOTEL_WORDS.length]!;
    return `(${i}, ${quoteLiteral(`${word} ${city}`)}, ${quoteLiteral(city)}, '${country}', ${quoteLiteral(timezone)}, '${hotelPhoneNumber(i)}', ${g.epoch} - interval '${i * 17 * 24} hours')`;
  });
  const roomTypes = [
    "(1, 'STD', 'Standard Queen', 2, 89.00)",
    "(2, 'DBL', 'Double', 2, 109.00)",
    "(3, 'TWN', 'Twin', 2, 109.00)",
    "(4, 'DLX', 'Deluxe King', 2, 159.00)",
    "(5, 'JRS', 'Junior Suite', 3, 229.00)",
    "(6, 'STE', 'Suite', 4, 349.00)",
    "(7, 'FAM', 'Family Room', 5, 199.00)",
    "(8, 'ACC', 'Accessible Queen', 2, 89.00)",
  ];
  const firstName = `(${textArray(FIRST_NAMES)})[1 + ((g::bigint * 7919 + ${seed}) % ${FIRST_NAMES.length})]`;
  const lastName = `(${textArray(LAST_NAMES)})[1 + ((g::bigint * 104729 + ${seed}::bigint * 31) % ${LAST_NAMES.length})]`;
  const domain = `(${textArray(EMAIL_DOMAINS)})[1 + ((g::bigint + ${seed}) % ${EMAIL_DOMAINS.length})]`;
  const transcript = `array_to_string(ARRAY(SELECT (${textArray(TRANSCRIPT_PHRASES)})[1 + ${g.int(37, 'g::bigint * 64 + k', TRANSCRIPT_PHRASES.length)}] FROM generate_series(1, 28) AS k), ' ')`;
  return [
    ['hotels', `INSERT INTO hotels VALUES ${hotels.join(',\n')}`],
    ['room_types', `INSERT INTO room_types VALUES ${roomTypes.join(',\n')}`],
    [
      'rooms',
      `INSERT INTO rooms (id, hotel_id, room_type_id, room_number, floor)
       SELECT g, 1 + (g - 1) % ${HOTEL_COUNT}, 1 + ${g.int(1, 'g', 8)},
              ((1 + (g - 1) / ${HOTEL_COUNT} / 20) * 100 + ((g - 1) / ${HOTEL_COUNT}) % 20 + 1)::text,
              1 + (g - 1) / ${HOTEL_COUNT} / 20
       FROM generate_series(1, ${rows.rooms}) AS g`,
    ],
    [
      'guests',
      `INSERT INTO guests (id, first_name, last_name, email, phone, preferred_language, loyalty_tier, created_at)
       SELECT g, ${firstName}, ${lastName},
              lower(${firstName}) || '.' || lower(${lastName}) || g || '@' || ${domain},
              CASE WHEN ${g.frac(2, 'g')} < 0.9 THEN '+' || (1000000000 + ${g.int(3, 'g', 999_999_999)})::text END,
              ${g.pick(4, 'g', LANGUAGES)}, ${g.pick(5, 'g', LOYALTY_TIERS)},
              ${g.epoch} - ${g.int(6, 'g', 1000 * 86_400)} * interval '1 second'
       FROM generate_series(1, ${rows.guests}) AS g`,
    ],
    [
      'bookings',
      `INSERT INTO bookings (id, hotel_id, room_id, guest_id, status, check_in_date, check_out_date, adults,
                             total_amount, currency, source, special_requests, created_at, updated_at)
       SELECT g, 1 + (b.room_id - 1) % ${HOTEL_COUNT}, b.room_id, 1 + ${g.int(11, 'g', rows.guests)},
              CASE
                WHEN b.check_in <= date '2026-01-01' AND b.check_in + b.nights > date '2026-01-01' THEN 'checked_in'
                WHEN b.check_in < date '2026-01-01' THEN
                  CASE WHEN b.r < 0.8 THEN 'checked_out' WHEN b.r < 0.92 THEN 'cancelled' ELSE 'no_show' END
                ELSE CASE WHEN b.r < 0.85 THEN 'confirmed' ELSE 'cancelled' END
              END,
              b.check_in, b.check_in + b.nights, 1 + ${g.int(15, 'g', 3)},
              (b.nights * (80 + ${g.int(16, 'g', 320)}))::numeric(10,2),
              ${g.pick(17, 'g', ['EUR', 'EUR', 'USD', 'GBP'])}, ${g.pick(18, 'g', BOOKING_SOURCES)},
              CASE WHEN ${g.frac(19, 'g')} < 0.3 THEN ${g.pick(20, 'g', TRANSCRIPT_PHRASES)} END,
              b.created_at, b.created_at + ${g.int(22, 'g', 86_400)} * interval '1 second'
       FROM generate_series(1, ${rows.bookings}) AS g,
            LATERAL (SELECT 1 + ${g.int(10, 'g', rows.rooms)} AS room_id,
                            date '2026-01-01' - 365 + ${g.int(12, 'g', 730)}::integer AS check_in,
                            1 + ${g.int(13, 'g', 7)}::integer AS nights,
                            ${g.frac(14, 'g')} AS r) AS b0,
            -- Dates become instants in UTC explicitly, so the session's TimeZone cannot change the data.
            LATERAL (SELECT b0.*, (b0.check_in::timestamp AT TIME ZONE 'UTC') - ${g.int(21, 'g', 120)} * interval '24 hours' AS created_at) AS b`,
    ],
    [
      'payments',
      `INSERT INTO payments (id, booking_id, amount, currency, method, status, provider_reference, created_at)
       SELECT g, 1 + ${g.int(23, 'g', rows.bookings)}, (50 + ${g.int(24, 'g', 90_000)} / 100.0)::numeric(10,2),
              ${g.pick(25, 'g', ['EUR', 'EUR', 'USD', 'GBP'])},
              ${g.pick(26, 'g', ['card', 'card', 'card', 'apple_pay', 'bank_transfer', 'cash'])},
              ${g.pick(27, 'g', ['captured', 'captured', 'captured', 'captured', 'authorized', 'refunded', 'failed'])},
              'pi_' || substr(md5(g::text || ':' || ${seed}), 1, 24),
              ${g.epoch} - ${g.int(28, 'g', 365 * 86_400)} * interval '1 second'
       FROM generate_series(1, ${rows.payments}) AS g`,
    ],
    [
      'call_sessions',
      `INSERT INTO call_sessions (id, hotel_id, guest_id, caller_number, language, intent, outcome, started_at,
                                  ended_at, duration_seconds, sentiment, transcript)
       SELECT g, 1 + ${g.int(30, 'g', HOTEL_COUNT)},
              CASE WHEN ${g.frac(31, 'g')} < 0.7 THEN 1 + ${g.int(32, 'g', rows.guests)} END,
              '+' || (1000000000 + ${g.int(33, 'g', 999_999_999)})::text,
              ${g.pick(36, 'g', LANGUAGES)}, ${g.pick(38, 'g', CALL_INTENTS)}, ${g.pick(39, 'g', CALL_OUTCOMES)},
              ${callStartedAt(g, 'g')},
              ${callStartedAt(g, 'g')} + ${callDuration(g, 'g')} * interval '1 second',
              ${callDuration(g, 'g')},
              round((${g.frac(40, 'g')} * 2 - 1)::numeric, 3)::real,
              ${transcript}
       FROM generate_series(1, ${rows.call_sessions}) AS g`,
    ],
    [
      'call_events',
      `INSERT INTO call_events (id, call_session_id, seq, event_type, occurred_at, latency_ms, payload)
       SELECT g, e.sid, e.seq,
              (ARRAY['call_started','asr_partial','asr_partial','asr_partial','asr_partial','intent_detected','tool_call','call_ended'])[1 + e.seq],
              ${callStartedAt(g, 'e.sid')} + (${callDuration(g, 'e.sid')} * e.seq / ${EVENTS_PER_CALL}) * interval '1 second',
              CASE WHEN e.seq BETWEEN 1 AND 6 THEN 80 + ${g.int(41, 'g', 900)} END,
              jsonb_build_object(
                'model', 'vh-voice-3',
                'confidence', round(${g.frac(42, 'g')}::numeric, 3),
                'text', ${g.pick(43, 'g', TRANSCRIPT_PHRASES)},
                'alternatives', jsonb_build_array(${g.pick(44, 'g', TRANSCRIPT_PHRASES)}, ${g.pick(45, 'g', TRANSCRIPT_PHRASES)}),
                'audio', jsonb_build_object('codec', 'opus', 'sample_rate', 16000, 'duration_ms', 200 + ${g.int(46, 'g', 4000)}),
                'intent', CASE WHEN e.seq = 5 THEN ${g.pick(47, 'g', CALL_INTENTS)} END,
                'tool', CASE WHEN e.seq = 6 THEN 'pms.lookup_reservation' END,
                'trace_id', md5(g::text || ':' || ${seed}))
       FROM generate_series(1, ${rows.call_events}) AS g,
            LATERAL (SELECT 1 + (g - 1) / ${EVENTS_PER_CALL} AS sid, ((g - 1) % ${EVENTS_PER_CALL})::integer AS seq) AS e`,
    ],
  ];
}

/** The number the voice agent answers for hotel `id`. */
export function hotelPhoneNumber(id: number): string {
  return `+1-555-01${String(id).padStart(2, '0')}`;
}

function validate(scale: number, seed: number): void {
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100_000) {
    throw new DbrsError('INVALID_ARGUMENT', `Workload scale must be a number in (0, 100000]; got ${String(scale)}.`, {
      hint: 'Use 1 for tests (a few thousand rows) and about 250 for ~1 GB.',
    });
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 31) {
    throw new DbrsError('INVALID_ARGUMENT', `Workload seed must be an integer in [0, 2^31); got ${String(seed)}.`);
  }
}

/**
 * Creates and fills the hotel schema in the database at `url`: deterministic
 * for a given (scale, seed), generated entirely server-side, then constraints,
 * indexes (minus HOTEL_MISSING_INDEXES) and ANALYZE.
 */
export async function loadHotelWorkload(
  url: string,
  options: LoadHotelWorkloadOptions = {},
): Promise<HotelWorkloadReport> {
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 42;
  validate(scale, seed);
  const { signal } = options;
  const started = Date.now();
  const rows = hotelRowCounts(scale);
  return withClient(
    url,
    async (client) => {
      const step = async (sql: string): Promise<void> => {
        throwIfAborted(signal, 'workload load');
        await client.query(sql);
      };
      if (options.replace) await step(HOTEL_DROP_DDL);
      await step(HOTEL_TABLES_DDL);
      for (const [, sql] of insertStatements(rows, seed)) await step(sql);
      for (const table of HOTEL_TABLES) {
        if (table === 'hotels' || table === 'room_types') continue;
        // Rows were inserted with explicit ids; new rows from the workload must not collide with them.
        await step(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), ${rows[table]})`);
      }
      await step(HOTEL_CONSTRAINTS_DDL);
      const info: HotelWorkloadInfo = { scale, seed, rows };
      await step(
        `COMMENT ON TABLE hotels IS ${quoteLiteral(JSON.stringify({ workload: 'voicehive-hotel', ...info }))}`,
      );
      await step('ANALYZE');
      const size = await client.query<{ bytes: string }>(
        'SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c WHERE c.oid = ANY($1::regclass[])',
        [[...HOTEL_TABLES]],
      );
      return { scale, seed, rows, bytes: Number(size.rows[0]!.bytes), durationMs: Date.now() - started };
    },
    signal ? { signal, what: 'workload load' } : {},
  );
}

/** The scale and seed a database was loaded with, or undefined when it has no hotel workload. */
export async function readHotelWorkloadInfo(url: string): Promise<HotelWorkloadInfo | undefined> {
  return withClient(url, async (client) => {
    const res = await client.query<{ comment: string | null }>(
      "SELECT obj_description(to_regclass('hotels'), 'pg_class') AS comment",
    );
    const comment = res.rows[0]?.comment;
    if (!comment) return undefined;
    try {
      const parsed = JSON.parse(comment) as { workload?: string } & HotelWorkloadInfo;
      return parsed.workload === 'voicehive-hotel'
        ? { scale: parsed.scale, seed: parsed.seed, rows: parsed.rows }
        : undefined;
    } catch {
      return undefined;
    }
  });
}
