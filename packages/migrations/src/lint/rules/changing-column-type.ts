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

/** INTERVAL_FULL_RANGE: the parser's first typmod of `interval(p)` (no field restriction). */
const INTERVAL_FULL_RANGE = 0x7fff;
/** MAX_TIMESTAMP_PRECISION / MAX_INTERVAL_PRECISION: a typmod of 6 or more keeps every value. */
const MAX_TIME_PRECISION = 6;

function norm(t: TypeInfo): TypeInfo {
  const name = ALIASES[t.name] ?? t.name;
  // `interval(6)` parses as (full range, 6); the catalog prints it as interval(6).
  if (name === 'interval' && t.mods[0] === INTERVAL_FULL_RANGE) return { ...t, name, mods: t.mods.slice(1) };
  return { ...t, name };
}

/** `interval(6)`, `varchar(20)`, `text[]`: the type as a user writes it. */
export function typeLabel(raw: TypeInfo): string {
  const t = norm(raw);
  return `${t.name}${t.mods.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

const isText = (t: TypeInfo) => t.name === 'text' || (t.name === 'varchar' && t.mods.length === 0);

/** Precision-only changes of the date/time types: a relabel when nothing can be rounded. */
function precisionRelabel(from: TypeInfo, to: TypeInfo): boolean {
  const p = (t: TypeInfo) => t.mods[0];
  const toP = p(to);
  if (toP === undefined || toP >= MAX_TIME_PRECISION) return true;
  const fromP = p(from);
  return fromP !== undefined && toP >= fromP;
}

/**
 * Binary-coercible changes that PostgreSQL performs without a rewrite
 * (sql-altertable.html Notes; the list strong_migrations checks). citext
 * declares binary-coercible casts with text and varchar (citext--1.4.sql:
 * CREATE CAST ... WITHOUT FUNCTION), so those are relabels too; to varchar(n)
 * the length check still runs. 'timezone' marks timestamp ↔ timestamptz,
 * a relabel on PG12+ only when the session TimeZone is UTC.
 */
export function isSafeTypeChange(fromRaw: TypeInfo, toRaw: TypeInfo): boolean | 'timezone' {
  const from = norm(fromRaw);
  const to = norm(toRaw);
  if (from.array !== to.array) return false;
  if (from.name === to.name && from.mods.join() === to.mods.join()) return true;
  if (from.name === 'varchar' && (isText(to) || (to.name === 'varchar' && to.mods[0]! >= from.mods[0]!))) return true;
  if (from.name === 'text' && isText(to)) return true;
  if ((from.name === 'text' || from.name === 'varchar') && to.name === 'citext') return true;
  if (from.name === 'citext' && isText(to)) return true;
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return true;
    return from.mods.length > 0 && to.mods[0]! >= from.mods[0]! && (to.mods[1] ?? 0) === (from.mods[1] ?? 0);
  }
  if (['timestamp', 'timestamptz', 'time', 'timetz'].includes(from.name) && to.name === from.name) {
    return precisionRelabel(from, to);
  }
  if (from.name === 'interval' && to.name === 'interval') {
    // A field restriction (interval day to second) may drop data; only precision changes relabel.
    if (from.mods.length > 1 || to.mods.length > 1) return false;
    return precisionRelabel(from, to);
  }
  if (from.name === 'cidr' && to.name === 'inet') return true;
  const tz = (a: string, b: string) => from.name === a && to.name === b;
  if (tz('timestamp', 'timestamptz') || tz('timestamptz', 'timestamp')) {
    // Precision must not drop either (same test as above, across the two types).
    return precisionRelabel(from, to) ? 'timezone' : false;
  }
  return false;
}

/** citext compares case-insensitively: an index on the column (text_ops ↔ citext_ops) is not equivalent and is rebuilt. */
function rebuildsIndex(fromRaw: TypeInfo, toRaw: TypeInfo): boolean {
  return (norm(fromRaw).name === 'citext') !== (norm(toRaw).name === 'citext');
}

/** The column is a key of an index of the table, or the table has an expression index (which may use it). */
function indexed(indexes: string[][] | undefined, col: string): boolean {
  return (indexes ?? []).some((cols) => cols.includes(col) || cols.includes(''));
}

const UTC_ZONES = new Set(['utc', 'etc/utc', 'etc/universal', 'universal', 'zulu', 'etc/zulu', 'gmt', 'etc/gmt', 'z']);

/** What the linter assumes about the session TimeZone: 'utc', 'other' or 'unknown' (not given). */
export function timeZoneKind(tz: string | undefined): 'utc' | 'other' | 'unknown' {
  if (tz === undefined || tz.trim() === '') return 'unknown';
  return UTC_ZONES.has(tz.trim().toLowerCase()) || /^(utc|gmt)?[+-]?0+(:00)?$/i.test(tz.trim()) ? 'utc' : 'other';
}

export default defineRule({
  id: 'changing-column-type',
  severity: 'error',
  anchor: 'L8',
  summary: 'ALTER COLUMN TYPE that rewrites the table',
  check({ type, node, state, rel, version, timeZone }) {
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
        if (safe === true && rebuildsIndex(from, to) && indexed(state.indexLeads.get(table), col)) {
          hits.push(
            `Changing "${col}" from ${typeLabel(from)} to ${typeLabel(to)} keeps the rows, but the column's indexes use another operator class and are rebuilt under the ACCESS EXCLUSIVE lock (PostgreSQL keeps an index only when it is logically equivalent). Add a new column with its own index built CONCURRENTLY, backfill, then swap.`,
          );
          continue;
        }
        if (safe === true) continue;
        if (safe === 'timezone') {
          const zone = timeZoneKind(timeZone);
          const what = `${typeLabel(from)} → ${typeLabel(to)} on "${col}"`;
          if (version >= 120000 && zone === 'utc') continue;
          if (version >= 120000 && zone === 'unknown')
            hits.push({
              severity: 'warning',
              message: `${what} is only a relabel (no rewrite, PostgreSQL 12+) when the session TimeZone is UTC, and the linter was not told the TimeZone (lint option timeZone); with any other zone it ${rewrite}`,
            });
          else
            hits.push(
              version >= 120000
                ? `${what} with session TimeZone ${timeZone} converts every value: it ${rewrite} (run it with TimeZone UTC to make it a relabel).`
                : `${what} ${rewrite}`,
            );
          continue;
        }
        hits.push(
          `Changing "${col}" from ${typeLabel(from)} to ${typeLabel(to)} is not binary-coercible: it ${rewrite}`,
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
