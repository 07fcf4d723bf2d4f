import pg from 'pg';

export interface CostUnder {
  /** Σ planner total cost of the statements with these indexes (hypothetical) in place. */
  cost: number;
  /** Σ hypopg's size estimate of the indexes. */
  bytes: number;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** `schema.table (a, b DESC)` → a CREATE INDEX hypopg accepts. */
function definition(shown: string): string {
  const m = /^([^.]+)\.(\S+) \((.*)\)$/.exec(shown);
  if (!m) throw new Error(`not an index: ${shown}`);
  const cols = m[3]!.split(', ').map((c) => {
    const [name, ...rest] = c.split(' ');
    return [quote(name!), ...rest].join(' ');
  });
  return `CREATE INDEX ON ${quote(m[1]!)}.${quote(m[2]!)} (${cols.join(', ')})`;
}

/** The statements planned under a set of hypothetical indexes (and nothing else hypothetical). */
export async function costUnder(url: string, statements: string[], indexes: string[]): Promise<CostUnder> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT hypopg_reset()');
    let bytes = 0;
    for (const i of indexes) {
      const r = await c.query('SELECT indexrelid FROM hypopg_create_index($1)', [definition(i)]);
      const size = await c.query('SELECT hypopg_relation_size($1) AS b', [r.rows[0].indexrelid]);
      bytes += Number(size.rows[0].b);
    }
    let cost = 0;
    for (const s of statements) {
      const plan = await c.query(`EXPLAIN (FORMAT JSON) ${s}`);
      cost += Number(plan.rows[0]['QUERY PLAN'][0].Plan['Total Cost']);
    }
    await c.query('SELECT hypopg_reset()');
    return { cost, bytes };
  } finally {
    await c.end();
  }
}
