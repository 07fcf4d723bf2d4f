// The "report at scale" database shared by run.ts (part 3) and profile-scale.ts: TABLES tables with a primary
// key and a TOAST table, the first 1,000 holding 2,000 rows, and STATEMENTS distinct statements in three shapes
// recorded by pg_stat_statements.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const pg = createRequire(join(HERE, '../../packages/performance/package.json'))('pg') as typeof import('pg').default;
type PgClient = InstanceType<typeof pg.Client>;

export async function withClient<T>(url: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Builds the tables, resets pg_stat_statements for this database and runs the statements once each. */
export async function buildScaleDatabase(
  url: string,
  options: { tables: number; statements: number; log: (m: string) => void },
): Promise<{ tablesWithRows: number; pgStatStatementsEntries: number }> {
  const { tables, statements, log } = options;
  const big = Math.min(1000, tables);
  log(`scale: creating ${tables} tables (${big} with 2,000 rows)`);
  await withClient(url, async (c) => {
    for (let start = 1; start <= tables; start += 500) {
      await c.query(`DO $$ BEGIN FOR i IN ${start}..${Math.min(tables, start + 499)} LOOP
        EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, c text)', i);
        IF i <= ${big} THEN EXECUTE format('INSERT INTO t_%s SELECT g, g %% 500, g %% 37, md5(g::text) FROM generate_series(1, 2000) g', i); END IF;
      END LOOP; END $$`);
    }
    // VACUUM as well: the 2,000 rows inserted into each of 1,000 tables pass autovacuum's insert threshold
    // (1,000 + 20% of the rows), and the DDL left dead catalog rows. With ANALYZE alone, autovacuum vacuumed the
    // 1,000 tables and the catalog during the first minute or so, while the reports were being measured.
    await c.query('VACUUM ANALYZE');
    await c.query(
      'SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)',
    );
  });
  log(`scale: running ${statements} distinct statements`);
  await withClient(url, async (c) => {
    for (let i = 0; i < statements; i++) {
      const table = `t_${1 + (i % tables)}`;
      const shape = Math.floor(i / tables) % 3;
      const sql = [
        `SELECT id, c FROM ${table} WHERE a = $1`,
        `SELECT count(*) FROM ${table} WHERE b = $1 AND a > $2`,
        `SELECT id FROM ${table} WHERE a = $1 ORDER BY b DESC LIMIT 5`,
      ][shape]!;
      await c.query(sql, shape === 1 ? [i % 37, 10] : [i % 500]);
    }
  });
  const entries = await withClient(url, async (c) =>
    Number(
      (
        await c.query(
          'SELECT count(*)::int AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        )
      ).rows[0].n,
    ),
  );
  return { tablesWithRows: big, pgStatStatementsEntries: entries };
}
