import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'alter-type-with-check-constraint',
  severity: 'error',
  anchor: 'L9',
  summary: 'ALTER COLUMN TYPE on a column that has CHECK constraints',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => c.subtype === 'AT_AlterColumnType' && state.checkedColumns.has(`${table}.${c.name}`))
      .map(
        (c) =>
          `"${c.name}" has CHECK constraints, which PostgreSQL re-checks against every row while holding the ACCESS EXCLUSIVE lock of the type change. Drop the check, change the type, re-add it NOT VALID and VALIDATE it in a separate transaction.`,
      );
  },
});
