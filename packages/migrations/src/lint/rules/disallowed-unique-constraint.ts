import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'disallowed-unique-constraint',
  severity: 'error',
  anchor: 'L14',
  summary: 'ADD UNIQUE constraint that builds its index under ACCESS EXCLUSIVE',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const found = alterCmds(node).some(
      (c) =>
        (c.subtype === 'AT_AddConstraint' &&
          c.def?.Constraint?.contype === 'CONSTR_UNIQUE' &&
          !c.def.Constraint.indexname) ||
        (c.subtype === 'AT_AddColumn' && constraintsOf(c.def?.ColumnDef).some((k) => k.contype === 'CONSTR_UNIQUE')),
    );
    if (!found) return;
    return `Adding a UNIQUE constraint builds its index while holding an ACCESS EXCLUSIVE lock on ${table}. Create the index with CREATE UNIQUE INDEX CONCURRENTLY (non-transactional migration), then ADD CONSTRAINT ... UNIQUE USING INDEX.`;
  },
});
