import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'dropping-foreign-key',
  severity: 'warning',
  anchor: 'C5',
  summary: 'DROP CONSTRAINT of a foreign key, or a CASCADE that drops foreign keys',
  check({ type, node, state, rel }) {
    if (type === 'DropStmt' && node.removeType === 'OBJECT_TABLE' && node.behavior === 'DROP_CASCADE') {
      return 'DROP TABLE ... CASCADE also drops every foreign key in other tables that references it, silently: those tables stop being checked. Drop the referencing constraints explicitly first, so the review sees them.';
    }
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const out: string[] = [];
    for (const c of alterCmds(node)) {
      if (c.subtype !== 'AT_DropConstraint') continue;
      const kind = state.constraintTypes.get(`${table}.${c.name}`);
      // Without a catalog, PostgreSQL's default foreign-key name is the only clue.
      const isFk = kind === 'f' || (kind === undefined && /_fkey$/.test(c.name ?? ''));
      if (isFk) {
        out.push(
          `Dropping foreign key "${c.name}" on ${table} removes referential integrity: rows pointing at missing parents can be written from now on and are hard to clean up. If it is only in the way of a change, re-add it NOT VALID and VALIDATE it in a separate transaction instead of going without.`,
        );
      } else if (c.behavior === 'DROP_CASCADE') {
        out.push(
          `DROP CONSTRAINT "${c.name}" ... CASCADE on ${table} also drops the foreign keys of other tables that depend on it (a primary key or unique constraint they reference). Drop those foreign keys explicitly first.`,
        );
      }
    }
    return out;
  },
});
