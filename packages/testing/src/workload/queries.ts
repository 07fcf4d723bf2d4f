import type { HotelWorkloadInfo } from './data.js';
import { HOTEL_COUNT, HOTEL_WORKLOAD_EPOCH, hotelPhoneNumber } from './data.js';
import type { WorkloadRandom } from './random.js';
import { HOTEL_MISSING_INDEXES, type MissingIndex } from './schema.js';
import { CALL_INTENTS, CALL_OUTCOMES, guestEmail, LANGUAGES, TRANSCRIPT_PHRASES } from './vocabulary.js';

/** What a parameter generator may rely on: the loaded scale, seed and row counts. */
export type HotelQueryContext = HotelWorkloadInfo;

export interface HotelQuery {
  name: string;
  sql: string;
  kind: 'read' | 'write';
  /** Parameters for one execution; they always name rows that exist. */
  params: (rng: WorkloadRandom, ctx: HotelQueryContext) => unknown[];
  /** The missing index that would serve this statement, if any. */
  needsIndex?: MissingIndex;
}

const missing = (table: string): MissingIndex => HOTEL_MISSING_INDEXES.find((index) => index.table === table)!;

const DAY_MS = 86_400_000;
const epochMs = Date.parse(HOTEL_WORKLOAD_EPOCH);
/** A calendar date `offset` days from the workload epoch, as 'YYYY-MM-DD'. */
const day = (offset: number): string => new Date(epochMs + offset * DAY_MS).toISOString().slice(0, 10);
const instant = (offsetSeconds: number): string => new Date(epochMs + offsetSeconds * 1000).toISOString();

const id = (rng: WorkloadRandom, count: number): number => rng.int(1, count);
const BOOKING_STATUSES = ['confirmed', 'checked_in', 'checked_out', 'cancelled', 'no_show'] as const;

/**
 * What the VoiceHive services run against this schema: the voice agent
 * identifying callers and hotels, front-desk views, and the call pipeline's
 * writes. Several statements need an index from HOTEL_MISSING_INDEXES
 * (`needsIndex`); the rest are served by primary keys, existing indexes or
 * tiny tables.
 */
export const hotelQueries: readonly HotelQuery[] = [
  {
    name: 'guest_by_email',
    kind: 'read',
    sql: 'SELECT id, first_name, last_name, loyalty_tier FROM guests WHERE email = $1',
    params: (rng, ctx) => [guestEmail(id(rng, ctx.rows.guests), ctx.seed)],
    needsIndex: missing('guests'),
  },
  {
    name: 'guest_by_id',
    kind: 'read',
    sql: 'SELECT id, first_name, last_name, email, phone, preferred_language FROM guests WHERE id = $1',
    params: (rng, ctx) => [id(rng, ctx.rows.guests)],
  },
  {
    name: 'arrivals_for_day',
    kind: 'read',
    sql: 'SELECT id, guest_id, room_id, check_out_date FROM bookings WHERE status = $1 AND check_in_date = $2',
    params: (rng) => ['confirmed', day(rng.int(0, 364))],
    needsIndex: missing('bookings'),
  },
  {
    name: 'bookings_in_window',
    kind: 'read',
    sql: 'SELECT count(*) FROM bookings WHERE status = $1 AND check_in_date BETWEEN $2 AND $3',
    params: (rng) => {
      const start = rng.int(-365, 358);
      return [rng.pick(BOOKING_STATUSES), day(start), day(start + 7)];
    },
    needsIndex: missing('bookings'),
  },
  {
    name: 'booking_by_id',
    kind: 'read',
    sql: 'SELECT * FROM bookings WHERE id = $1',
    params: (rng, ctx) => [id(rng, ctx.rows.bookings)],
  },
  {
    name: 'booking_with_guest',
    kind: 'read',
    sql: `SELECT b.id, b.status, b.check_in_date, b.check_out_date, g.first_name, g.last_name, g.email
          FROM bookings b JOIN guests g ON g.id = b.guest_id WHERE b.id = $1`,
    params: (rng, ctx) => [id(rng, ctx.rows.bookings)],
  },
  {
    name: 'guest_booking_history',
    kind: 'read',
    sql: 'SELECT id, hotel_id, status, check_in_date FROM bookings WHERE guest_id = $1 ORDER BY check_in_date DESC LIMIT 10',
    params: (rng, ctx) => [id(rng, ctx.rows.guests)],
  },
  {
    name: 'payments_for_booking',
    kind: 'read',
    sql: 'SELECT id, amount, currency, method, status, created_at FROM payments WHERE booking_id = $1 ORDER BY created_at',
    params: (rng, ctx) => [id(rng, ctx.rows.bookings)],
    needsIndex: missing('payments'),
  },
  {
    name: 'booking_balance',
    kind: 'read',
    sql: `SELECT b.total_amount - coalesce(sum(p.amount) FILTER (WHERE p.status = 'captured'), 0) AS balance
          FROM bookings b LEFT JOIN payments p ON p.booking_id = b.id
          WHERE b.id = $1 GROUP BY b.id, b.total_amount`,
    params: (rng, ctx) => [id(rng, ctx.rows.bookings)],
    needsIndex: missing('payments'),
  },
  {
    name: 'recent_calls_for_hotel',
    kind: 'read',
    sql: `SELECT id, guest_id, intent, outcome, started_at, duration_seconds
          FROM call_sessions WHERE hotel_id = $1 ORDER BY started_at DESC LIMIT 20`,
    params: (rng) => [rng.int(1, HOTEL_COUNT)],
    needsIndex: missing('call_sessions'),
  },
  {
    name: 'calls_since_for_hotel',
    kind: 'read',
    sql: 'SELECT count(*), avg(duration_seconds) FROM call_sessions WHERE hotel_id = $1 AND started_at >= $2',
    params: (rng) => [rng.int(1, HOTEL_COUNT), instant(-rng.int(1, 14) * 86_400)],
    needsIndex: missing('call_sessions'),
  },
  {
    name: 'call_timeline',
    kind: 'read',
    sql: 'SELECT seq, event_type, occurred_at, latency_ms FROM call_events WHERE call_session_id = $1 ORDER BY seq',
    params: (rng, ctx) => [id(rng, ctx.rows.call_sessions)],
    needsIndex: missing('call_events'),
  },
  {
    name: 'call_session_by_id',
    kind: 'read',
    sql: 'SELECT id, hotel_id, guest_id, language, intent, outcome, transcript FROM call_sessions WHERE id = $1',
    params: (rng, ctx) => [id(rng, ctx.rows.call_sessions)],
  },
  {
    name: 'hotel_directory',
    kind: 'read',
    sql: 'SELECT id, name, city, phone_number FROM hotels ORDER BY name',
    params: () => [],
  },
  {
    name: 'hotel_by_phone_number',
    kind: 'read',
    sql: 'SELECT id, name, timezone FROM hotels WHERE phone_number = $1',
    params: (rng) => [hotelPhoneNumber(rng.int(1, HOTEL_COUNT))],
  },
  {
    name: 'room_type_rates',
    kind: 'read',
    sql: 'SELECT code, name, max_occupancy, base_rate FROM room_types WHERE max_occupancy >= $1 ORDER BY base_rate',
    params: (rng) => [rng.int(1, 4)],
  },
  {
    name: 'rooms_for_hotel',
    kind: 'read',
    sql: `SELECT r.id, r.room_number, t.code FROM rooms r JOIN room_types t ON t.id = r.room_type_id
          WHERE r.hotel_id = $1 ORDER BY r.room_number`,
    params: (rng) => [rng.int(1, HOTEL_COUNT)],
  },
  {
    name: 'start_call_session',
    kind: 'write',
    sql: `INSERT INTO call_sessions (hotel_id, guest_id, caller_number, language, intent, outcome, started_at, ended_at,
                                     duration_seconds, sentiment, transcript)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $7::timestamptz + $8 * interval '1 second', $8, $9, $10) RETURNING id`,
    params: (rng, ctx) => [
      rng.int(1, HOTEL_COUNT),
      rng.chance(0.7) ? id(rng, ctx.rows.guests) : null,
      `+${rng.int(1_000_000_000, 1_999_999_999)}`,
      rng.pick(LANGUAGES),
      rng.pick(CALL_INTENTS),
      rng.pick(CALL_OUTCOMES),
      instant(rng.int(0, 86_400)),
      rng.int(20, 620),
      Math.round((rng.next() * 2 - 1) * 1000) / 1000,
      `${rng.pick(TRANSCRIPT_PHRASES)} ${rng.pick(TRANSCRIPT_PHRASES)}`,
    ],
  },
  {
    name: 'log_call_event',
    kind: 'write',
    sql: `INSERT INTO call_events (call_session_id, seq, event_type, occurred_at, latency_ms, payload)
          VALUES ($1, $2, 'asr_partial', $3, $4, $5)`,
    params: (rng, ctx) => [
      id(rng, ctx.rows.call_sessions),
      rng.int(8, 40),
      instant(rng.int(0, 86_400)),
      rng.int(80, 980),
      JSON.stringify({ model: 'vh-voice-3', text: rng.pick(TRANSCRIPT_PHRASES), confidence: rng.next() }),
    ],
  },
  {
    name: 'update_booking_status',
    kind: 'write',
    sql: 'UPDATE bookings SET status = $2, updated_at = $3 WHERE id = $1',
    params: (rng, ctx) => [id(rng, ctx.rows.bookings), rng.pick(BOOKING_STATUSES), instant(rng.int(0, 86_400))],
  },
  {
    name: 'record_payment',
    kind: 'write',
    sql: `INSERT INTO payments (booking_id, amount, currency, method, status, provider_reference, created_at)
          VALUES ($1, $2, 'EUR', $3, 'captured', $4, $5)`,
    params: (rng, ctx) => [
      id(rng, ctx.rows.bookings),
      (rng.int(5_000, 95_000) / 100).toFixed(2),
      rng.pick(['card', 'apple_pay', 'bank_transfer']),
      `pi_${rng
        .int(0, 2 ** 30)
        .toString(16)
        .padStart(8, '0')}${rng.int(0, 2 ** 30).toString(16)}`,
      instant(rng.int(0, 86_400)),
    ],
  },
  {
    name: 'update_guest_phone',
    kind: 'write',
    sql: 'UPDATE guests SET phone = $2 WHERE id = $1',
    params: (rng, ctx) => [id(rng, ctx.rows.guests), `+${rng.int(1_000_000_000, 1_999_999_999)}`],
  },
];
