import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-concurrent-partition-detach',
  severity: 'error',
  anchor: 'L17',
  summary: 'DETACH PARTITION without CONCURRENTLY',
  check({ type, node, rel, version }) {
    if (type !== 'AlterTableStmt') return;
    if (!alterCmds(node).some((c) => c.subtype === 'AT_DetachPartition' && !c.def?.PartitionCmd?.concurrent)) return;
    const table = rel(node.relation);
    if (version < 140000) {
      return {
        // Only a catalog update under ACCESS EXCLUSIVE, and no CONCURRENTLY form yet: a warning.
        severity: 'warning',
        message: `DETACH PARTITION takes an ACCESS EXCLUSIVE lock on ${table}; DETACH ... CONCURRENTLY needs PostgreSQL 14.`,
      };
    }
    return `DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent ${table}. Use DETACH PARTITION ... CONCURRENTLY (SHARE UPDATE EXCLUSIVE; non-transactional migration; not with a default partition).`;
  },
});
