import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import { columnSql, type IndexColumn } from './candidates.js';

export interface PartitionLayout {
  /** Leaf partitions as `schema.name`, when every partition is a direct child; null for sub-partitioned tables. */
  partitions: { schema: string; name: string }[] | null;
}

/** Direct partitions of each partitioned table, or null where a partition is itself partitioned. */
export async function loadPartitionLayouts(
  db: SqlRunner,
  parentOids: number[],
  options: QueryOptions = {},
): Promise<Map<number, PartitionLayout>> {
  const out = new Map<number, PartitionLayout>();
  if (parentOids.length === 0) return out;
  const { rows } = await db.query<{ parent: string; schema: string; name: string; relkind: string }>(
    `SELECT i.inhparent::int8 AS parent, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.inhparent = ANY($1::oid[]) ORDER BY c.relname`,
    [parentOids],
    options,
  );
  for (const oid of parentOids) out.set(oid, { partitions: [] });
  for (const r of rows) {
    const layout = out.get(Number(r.parent))!;
    if (r.relkind === 'p') layout.partitions = null;
    else layout.partitions?.push({ schema: r.schema, name: r.name });
  }
  return out;
}

const indexName = (table: string, columns: IndexColumn[]): string =>
  `${table}_${columns.map((c) => c.name).join('_')}_idx`.slice(0, 63);

/**
 * SQL for an index on a partitioned table. CREATE INDEX CONCURRENTLY is refused on a partitioned table, and a
 * plain CREATE INDEX blocks writes to every partition while it builds; the documented way round (PostgreSQL
 * docs, CREATE INDEX, "Notes" on partitioned tables) is an invalid index ON ONLY the parent, one index built
 * CONCURRENTLY per partition, each attached; the parent's index becomes valid once all are attached.
 */
export function partitionedIndexSql(input: {
  schema: string;
  table: string;
  columns: IndexColumn[];
  layout: PartitionLayout | undefined;
  quoteIdent: (s: string) => string;
  include?: string[];
  where?: string;
  method?: 'gin';
}): string {
  const q = input.quoteIdent;
  // Everything after the table: access method, key columns, INCLUDE list and partial predicate, the same on
  // the parent and on every partition (an index attaches only when its definition matches the parent's).
  const cols = `${input.method ? `USING ${input.method} ` : ''}(${input.columns.map((c) => columnSql(c, q)).join(', ')})${
    input.include?.length ? ` INCLUDE (${input.include.map(q).join(', ')})` : ''
  }${input.where ? ` WHERE ${input.where}` : ''}`;
  const parent = `${q(input.schema)}.${q(input.table)}`;
  const parts = input.layout?.partitions;
  if (!parts || parts.length === 0) return `CREATE INDEX ON ${parent} ${cols};`;
  const parentIndex = indexName(input.table, input.columns);
  const lines = [`CREATE INDEX ${q(parentIndex)} ON ONLY ${parent} ${cols};`];
  for (const p of parts) {
    const name = indexName(p.name, input.columns);
    lines.push(`CREATE INDEX CONCURRENTLY ${q(name)} ON ${q(p.schema)}.${q(p.name)} ${cols};`);
    lines.push(`ALTER INDEX ${q(input.schema)}.${q(parentIndex)} ATTACH PARTITION ${q(p.schema)}.${q(name)};`);
  }
  return lines.join('\n');
}
