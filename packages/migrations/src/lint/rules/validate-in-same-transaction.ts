import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'validate-in-same-transaction',
  severity: 'error',
  anchor: 'L13',
  summary: 'VALIDATE CONSTRAINT in the transaction that took a strong lock',
  check({ type, node, state, rel, inTransaction }) {
    if (type !== 'AlterTableStmt' || !inTransaction) return;
    const table = rel(node.relation);
    for (const cmd of alterCmds(node)) {
      if (cmd.subtype !== 'AT_ValidateConstraint') continue;
      const held = state.tx.locks.get(table);
      if (
        state.tx.notValid.has(`${table}.${cmd.name}`) ||
        held === 'AccessExclusiveLock' ||
        held === 'ShareRowExclusiveLock'
      ) {
        return `VALIDATE CONSTRAINT "${cmd.name}" runs in the same transaction that already holds a strong lock on ${table}, so its full scan happens while reads or writes are blocked. Commit the NOT VALID step first and validate in a separate migration (VALIDATE alone takes only SHARE UPDATE EXCLUSIVE).`;
      }
    }
    return;
  },
});
