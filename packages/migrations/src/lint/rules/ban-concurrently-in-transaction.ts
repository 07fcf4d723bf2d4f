import { alterCmds, hasDefElem } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-concurrently-in-transaction',
  severity: 'error',
  anchor: 'L3',
  summary: 'a CONCURRENTLY operation inside a transaction block',
  check({ type, node, inTransaction }) {
    if (!inTransaction) return;
    let what: string | undefined;
    if (type === 'IndexStmt' && node.concurrent) what = 'CREATE INDEX CONCURRENTLY';
    if (type === 'DropStmt' && node.removeType === 'OBJECT_INDEX' && node.concurrent) what = 'DROP INDEX CONCURRENTLY';
    if (type === 'ReindexStmt' && hasDefElem(node.params, 'concurrently')) what = 'REINDEX CONCURRENTLY';
    if (
      type === 'AlterTableStmt' &&
      alterCmds(node).some((c) => c.subtype === 'AT_DetachPartition' && c.def?.PartitionCmd?.concurrent)
    ) {
      what = 'DETACH PARTITION CONCURRENTLY';
    }
    if (!what) return;
    return `${what} cannot run inside a transaction block (SQLSTATE 25001), and the migration would fail. Put it in its own migration whose first line is "-- dbrs:no-transaction" (TS: export const transaction = false).`;
  },
});
