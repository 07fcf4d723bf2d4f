import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'constraint-missing-not-valid',
  severity: 'error',
  anchor: 'L11',
  summary: 'ADD CONSTRAINT CHECK without NOT VALID on an existing table',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter(
        (c) =>
          c.subtype === 'AT_AddConstraint' &&
          c.def?.Constraint?.contype === 'CONSTR_CHECK' &&
          !c.def.Constraint.skip_validation,
      )
      .map(
        () =>
          `Adding a CHECK constraint validates every row of ${table} while holding an ACCESS EXCLUSIVE lock. Add it with NOT VALID (brief lock), then VALIDATE CONSTRAINT in a separate transaction (SHARE UPDATE EXCLUSIVE, does not block reads or writes).`,
      );
  },
});
