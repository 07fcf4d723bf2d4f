import type { DatabaseCapacityManager } from '@voicehive/db-capacity';
import type { Database } from '@voicehive/db-core';

/**
 * Builds a short capacity history so the forecast has something to fit: a
 * table grows in daily steps and a sample is taken after each, stamped with
 * a simulated date (one day apart, ending now). The sizes are measured; only
 * the dates are simulated — a real deployment samples hourly for weeks.
 */
export async function growAndSample(db: Database, capacity: DatabaseCapacityManager, days = 14): Promise<void> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS demo_call_events (id bigserial PRIMARY KEY, hotel_id int NOT NULL, at timestamptz NOT NULL, transcript text NOT NULL)',
  );
  const now = Date.now();
  for (let d = 0; d < days; d++) {
    const rows = 4000 + d * 300;
    await db.query(
      `INSERT INTO demo_call_events (hotel_id, at, transcript)
       SELECT 1 + (g % 50), now(), repeat(md5(g::text), 6) FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await capacity.collectSample({ at: new Date(now - (days - 1 - d) * 86_400_000) });
  }
}
