import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'adding-exclusion-constraint',
  severity: 'error',
  anchor: 'L16',
  summary: 'ADD EXCLUDE constraint on an existing table',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    if (
      !alterCmds(node).some(
        (c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.contype === 'CONSTR_EXCLUSION',
      )
    )
      return;
    return `An EXCLUDE constraint builds its index under an ACCESS EXCLUSIVE lock on ${table}, and there is no NOT VALID or USING INDEX form. Plan a maintenance window, or create a new table with the constraint and copy the data.`;
  },
});
