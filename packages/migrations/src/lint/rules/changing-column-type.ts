import { alterCmds, type TypeInfo, typeInfo } from '../ast.js';
import { defineRule, type RuleHit } from '../rule.js';

const ALIASES: Record<string, string> = {
  'character varying': 'varchar',
  character: 'bpchar',
  char: 'bpchar',
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
  'double precision': 'float8',
  real: 'float4',
  boolean: 'bool',
  decimal: 'numeric',
};

/** Catalog spelling ('character varying(20)') → TypeInfo. */
export function parseFormattedType(t: string): TypeInfo {
  const m = /^([a-z0-9_ ]+?)(?:\(([\d, ]+)\))?( without time zone| with time zone)?(\[\])?$/i.exec(t.trim());
  if (!m) return { name: t, mods: [], array: false };
  const base = `${m[1]!.trim()}${m[3] ?? ''}`.toLowerCase();
  return { name: ALIASES[base] ?? base, mods: m[2] ? m[2].split(',').map((x) => Number(x.trim())) : [], array: !!m[4] };
}

function norm(t: TypeInfo): TypeInfo {
  return { ...t, name: ALIASES[t.name] ?? t.name };
}

/**
 * Binary-coercible changes that PostgreSQL performs without a rewrite
 * (sql-altertable.html Notes; the list strong_migrations checks).
 */
export function isSafeTypeChange(fromRaw: TypeInfo, toRaw: TypeInfo): boolean | 'timezone' {
  const from = norm(fromRaw);
  const to = norm(toRaw);
  if (from.array !== to.array) return false;
  if (from.name === to.name && from.mods.join() === to.mods.join()) return true;
  const text = (t: TypeInfo) => t.name === 'text' || (t.name === 'varchar' && t.mods.length === 0);
  if (from.name === 'varchar' && (text(to) || (to.name === 'varchar' && to.mods[0]! >= from.mods[0]!))) return true;
  if (from.name === 'text' && text(to)) return true;
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return true;
    return from.mods.length > 0 && to.mods[0]! >= from.mods[0]! && (to.mods[1] ?? 0) === (from.mods[1] ?? 0);
  }
  if (
    (from.name === 'timestamp' || from.name === 'timestamptz' || from.name === 'time' || from.name === 'interval') &&
    to.name === from.name
  ) {
    return to.mods.length === 0 || (from.mods.length > 0 && to.mods[0]! >= from.mods[0]!);
  }
  if (from.name === 'cidr' && to.name === 'inet') return true;
  if (from.name === 'timestamp' && to.name === 'timestamptz') return 'timezone';
  return false;
}

export default defineRule({
  id: 'changing-column-type',
  severity: 'error',
  anchor: 'L8',
  summary: 'ALTER COLUMN TYPE that rewrites the table',
  check({ type, node, state, rel, version }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const hits: RuleHit[] = [];
    for (const cmd of alterCmds(node)) {
      if (cmd.subtype !== 'AT_AlterColumnType') continue;
      const to = typeInfo(cmd.def?.ColumnDef?.typeName);
      if (!to) continue;
      const col = cmd.name as string;
      const known = state.columnTypes.get(`${table}.${col}`);
      const from = typeof known === 'string' ? parseFormattedType(known) : known;
      const usingChangesData = !!cmd.def?.ColumnDef?.raw_default;
      const rewrite = `rewrites ${table} and rebuilds its indexes under an ACCESS EXCLUSIVE lock. Add a new column, dual-write (trigger), backfill in batches, then swap in a later deploy.`;
      if (from && !usingChangesData) {
        const safe = isSafeTypeChange(from, to);
        if (safe === true) continue;
        if (safe === 'timezone') {
          if (version >= 120000)
            hits.push({
              severity: 'warning',
              message: `timestamp → timestamptz on "${col}" avoids the rewrite only when the session TimeZone is UTC (PostgreSQL 12+); otherwise it ${rewrite}`,
            });
          else hits.push(`Changing "${col}" from timestamp to timestamptz ${rewrite}`);
          continue;
        }
        hits.push(
          `Changing "${col}" from ${from.name}${from.mods.length ? `(${from.mods})` : ''} to ${to.name}${to.mods.length ? `(${to.mods})` : ''} is not binary-coercible: it ${rewrite}`,
        );
        continue;
      }
      const toText = to.name === 'text' || (to.name === 'varchar' && to.mods.length === 0);
      if (!from && !usingChangesData && toText) {
        hits.push({
          severity: 'warning',
          message: `Changing "${col}" to ${to.name} is free only from varchar/text (binary-coercible); from any other type it ${rewrite}`,
        });
        continue;
      }
      hits.push(`Changing the type of "${col}"${usingChangesData ? ' with USING' : ''} ${rewrite}`);
    }
    return hits;
  },
});
