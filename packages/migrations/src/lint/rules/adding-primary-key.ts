import { alterCmds, constraintsOf } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'adding-primary-key',
  severity: 'error',
  anchor: 'L15',
  summary: 'ADD PRIMARY KEY that builds its index under ACCESS EXCLUSIVE',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    const found = alterCmds(node).some(
      (c) =>
        (c.subtype === 'AT_AddConstraint' &&
          c.def?.Constraint?.contype === 'CONSTR_PRIMARY' &&
          !c.def.Constraint.indexname) ||
        (c.subtype === 'AT_AddColumn' && constraintsOf(c.def?.ColumnDef).some((k) => k.contype === 'CONSTR_PRIMARY')),
    );
    if (!found) return;
    return `Adding a PRIMARY KEY builds a unique index (and checks NOT NULL) while holding an ACCESS EXCLUSIVE lock on ${table}. Create a unique index CONCURRENTLY on NOT NULL columns, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX.`;
  },
});
