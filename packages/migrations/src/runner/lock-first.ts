import { LOCK_ORDER, type LockMode, lockLabel, statementLock } from '../lint/ast.js';
import type { Node } from '../lint/parse.js';

/** A table lock a transactional migration takes before its first statement. */
export interface UpfrontLock {
  /** `schema.table`, quoted as PostgreSQL prints it. */
  relation: string;
  mode: LockMode;
}

/** A statement as the runner plans it: text plus, for SQL files, its parse tree. */
export interface LockPlanStatement {
  type: string;
  node: Node;
}

interface Candidate {
  schema: string;
  name: string;
  mode: LockMode;
}

/**
 * The table locks the statements of a transactional migration will ask for,
 * strongest mode per table, in order of first use (the order the migration
 * itself would take them). From the linter's lock table (statementLock): the
 * statement's own table gets the statement's mode; a table it references
 * through a new foreign key gets SHARE ROW EXCLUSIVE, which is what
 * PostgreSQL takes there (never more, so lock-first never blocks readers of a
 * referenced table). Locks the table cannot predict (an index's table for
 * DROP INDEX, the partition of ATTACH PARTITION, row locks) are left to the
 * statements; the retry guard covers them (see apply.ts).
 */
export function plannedLocks(statements: LockPlanStatement[]): Candidate[] {
  // An unqualified name resolves through search_path; a migration that changes it could make us lock another table.
  const qualifiedOnly = statements.some(
    (s) => s.type === 'VariableSetStmt' && String(s.node.name ?? '').toLowerCase() === 'search_path',
  );
  const out: Candidate[] = [];
  const seen = new Map<string, Candidate>();
  for (const s of statements) {
    // '' as default schema marks unqualified names (".name"), resolved later by the server's search_path.
    const lock = statementLock(s.type, s.node, '');
    if (!lock) continue;
    lock.tables.forEach((table, i) => {
      const mode: LockMode = s.type === 'AlterTableStmt' && i > 0 ? 'ShareRowExclusiveLock' : lock.mode;
      const dot = table.indexOf('.');
      const schema = table.slice(0, dot);
      const name = table.slice(dot + 1);
      if (!name || (qualifiedOnly && !schema)) return;
      const key = `${schema}\u0000${name}`;
      const prev = seen.get(key);
      if (prev) {
        if (LOCK_ORDER.indexOf(mode) > LOCK_ORDER.indexOf(prev.mode)) prev.mode = mode;
        return;
      }
      const c = { schema, name, mode };
      seen.set(key, c);
      out.push(c);
    });
  }
  return out;
}

/**
 * Existing ordinary or partitioned tables among the candidates that this
 * role may LOCK in the wanted mode (owner, or the privilege LOCK TABLE asks
 * for): a LOCK that would fail where the statement itself would not (a
 * referenced table we may only REFERENCE) is left to the statement.
 * Tables created by the migration do not exist yet and are skipped.
 */
const RESOLVE_SQL = `
SELECT t.i::int AS i, format('%I.%I', n.nspname, c.relname) AS relation
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(sch, rel, mode, i)
  JOIN pg_catalog.pg_class c
    ON c.oid = pg_catalog.to_regclass(CASE WHEN t.sch = '' THEN quote_ident(t.rel) ELSE quote_ident(t.sch) || '.' || quote_ident(t.rel) END)
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND (pg_catalog.pg_has_role(c.relowner, 'USAGE')
        OR pg_catalog.has_table_privilege(c.oid, CASE t.mode
             WHEN 'AccessShareLock' THEN 'SELECT'
             WHEN 'RowExclusiveLock' THEN 'INSERT,UPDATE,DELETE,TRUNCATE'
             ELSE 'UPDATE,DELETE,TRUNCATE' END))
 ORDER BY t.i`;

interface Queryable {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/** Which of the candidates get a LOCK TABLE, as `schema.table` + mode, in first-use order. */
export async function resolveUpfrontLocks(client: Queryable, candidates: Candidate[]): Promise<UpfrontLock[]> {
  if (candidates.length === 0) return [];
  const { rows } = await client.query<{ i: number; relation: string }>(RESOLVE_SQL, [
    candidates.map((c) => c.schema),
    candidates.map((c) => c.name),
    candidates.map((c) => c.mode),
  ]);
  const byRelation = new Map<string, UpfrontLock>();
  for (const r of rows) {
    const mode = candidates[r.i - 1]!.mode;
    const prev = byRelation.get(r.relation);
    // Two spellings of one table (qualified and not): one LOCK in the stronger mode.
    if (!prev) byRelation.set(r.relation, { relation: r.relation, mode });
    else if (LOCK_ORDER.indexOf(mode) > LOCK_ORDER.indexOf(prev.mode)) prev.mode = mode;
  }
  return [...byRelation.values()];
}

/** `LOCK TABLE <relation> IN <MODE> MODE`; the relation is already quoted by format('%I.%I'). */
export function lockStatement(l: UpfrontLock): string {
  return `LOCK TABLE ${l.relation} IN ${lockLabel(l.mode)} MODE`;
}
