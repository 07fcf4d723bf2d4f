import { hasDefElem } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-concurrent-reindex',
  severity: 'error',
  anchor: 'L4',
  summary: 'REINDEX without CONCURRENTLY',
  check({ type, node, version }) {
    if (type !== 'ReindexStmt' || hasDefElem(node.params, 'concurrently')) return;
    // REINDEX SYSTEM has no CONCURRENTLY form (system catalogs cannot be reindexed concurrently).
    if (node.kind === 'REINDEX_OBJECT_SYSTEM') return;
    if (version < 120000) {
      return 'REINDEX blocks writes to the table and reads through the index for the whole rebuild; before PostgreSQL 12 there is no CONCURRENTLY form: build a new index concurrently and drop the old one.';
    }
    return 'REINDEX blocks writes to the table and takes an ACCESS EXCLUSIVE lock on the index. Use REINDEX ... CONCURRENTLY (SHARE UPDATE EXCLUSIVE) in a non-transactional migration.';
  },
});
