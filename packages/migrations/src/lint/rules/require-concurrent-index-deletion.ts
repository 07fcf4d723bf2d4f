import { listName } from '../ast.js';
import type { Node } from '../parse.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-concurrent-index-deletion',
  severity: 'error',
  anchor: 'L2',
  summary: 'DROP INDEX without CONCURRENTLY on an existing table',
  check({ type, node, state }) {
    if (type !== 'DropStmt' || node.removeType !== 'OBJECT_INDEX' || node.concurrent) return;
    // Indexes created in this run on a table created in this run block nobody; any other index may be on a live table.
    const onLiveTable = (node.objects ?? []).some((o: Node) => {
      const known = state.indexes.get(listName(o.List?.items, state.defaultSchema));
      return !known?.table || !state.isNew(known.table);
    });
    if (!onLiveTable) return;
    return 'DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits and runs. Use DROP INDEX CONCURRENTLY IF EXISTS (one index per statement) in a non-transactional migration.';
  },
});
