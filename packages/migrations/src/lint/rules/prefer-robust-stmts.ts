import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'prefer-robust-stmts',
  severity: 'warning',
  anchor: 'H',
  summary: 'non-idempotent statement in a non-transactional migration',
  check({ type, node, inTransaction }) {
    if (inTransaction) return;
    const fragile =
      (type === 'IndexStmt' && !node.if_not_exists) ||
      // A temporary table is gone when the session (or, ON COMMIT DROP, the transaction) ends: a re-run recreates it.
      (type === 'CreateStmt' && !node.if_not_exists && node.relation?.relpersistence !== 't') ||
      (type === 'DropStmt' && !node.missing_ok) ||
      (type === 'AlterTableStmt' &&
        alterCmds(node).some(
          (c) =>
            (c.subtype === 'AT_AddColumn' && !c.missing_ok) ||
            ((c.subtype === 'AT_DropColumn' || c.subtype === 'AT_DropConstraint') && !c.missing_ok),
        ));
    if (!fragile) return;
    return 'Outside a transaction a failure leaves earlier statements applied, so a re-run must tolerate them. Use IF NOT EXISTS / IF EXISTS.';
  },
});
