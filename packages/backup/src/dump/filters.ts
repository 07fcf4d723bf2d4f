import { DbrsError } from '@voicehive/db-core';

export interface DumpFilters {
  tables?: string[];
  excludeTables?: string[];
  schemas?: string[];
  excludeSchemas?: string[];
}

/** pg_dump switches for the filters (each pattern its own argv entry: no shell, no quoting issues). */
export function filterArgs(f: DumpFilters): string[] {
  const args: string[] = [];
  for (const [flag, list] of [
    ['--table', f.tables],
    ['--exclude-table', f.excludeTables],
    ['--schema', f.schemas],
    ['--exclude-schema', f.excludeSchemas],
  ] as const) {
    for (const p of list ?? []) {
      if (typeof p !== 'string' || p.trim() === '' || p.startsWith('-')) {
        throw new DbrsError('INVALID_ARGUMENT', `Invalid ${flag.slice(2)} pattern ${JSON.stringify(p)}.`, {
          hint: 'Use pg_dump patterns such as "public.bookings" or "audit_*".',
        });
      }
      args.push(`${flag}=${p}`);
    }
  }
  return args;
}

/**
 * Approximates pg_dump's pattern matching (psql rules: `*`, `?`, an optional
 * `schema.` part, unquoted names folded to lower case) to decide which
 * tables get row counts. Matching only decides what is counted, never what
 * is dumped: pg_dump itself applies the real patterns.
 */
export function compilePattern(pattern: string): { schema: RegExp | undefined; name: RegExp } {
  const quoted = pattern.includes('"');
  const text = quoted ? pattern.replace(/"/g, '') : pattern.toLowerCase();
  const dot = text.lastIndexOf('.');
  const toRe = (s: string) =>
    new RegExp(
      `^${s
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
  return dot >= 0
    ? { schema: toRe(text.slice(0, dot)), name: toRe(text.slice(dot + 1)) }
    : { schema: undefined, name: toRe(text) };
}

function matches(patterns: string[] | undefined, schema: string, name: string): boolean {
  return (patterns ?? []).some((p) => {
    const c = compilePattern(p);
    return (!c.schema || c.schema.test(schema)) && c.name.test(name);
  });
}

function schemaMatches(patterns: string[] | undefined, schema: string): boolean {
  return (patterns ?? []).some((p) => compilePattern(p).name.test(schema));
}

/** Whether pg_dump would dump this table's data, following its rules (-t wins over -n/-N). */
export function tableSelected(f: DumpFilters, schema: string, name: string): boolean {
  if (f.excludeTables?.length && matches(f.excludeTables, schema, name)) return false;
  if (f.tables?.length) return matches(f.tables, schema, name);
  if (f.excludeSchemas?.length && schemaMatches(f.excludeSchemas, schema)) return false;
  if (f.schemas?.length) return schemaMatches(f.schemas, schema);
  return true;
}
