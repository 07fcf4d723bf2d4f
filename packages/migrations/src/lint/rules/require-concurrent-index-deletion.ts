import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-concurrent-index-deletion',
  severity: 'warning',
  anchor: 'L2',
  summary: 'DROP INDEX without CONCURRENTLY',
  check({ type, node }) {
    if (type !== 'DropStmt' || node.removeType !== 'OBJECT_INDEX' || node.concurrent) return;
    return 'DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits and runs. Use DROP INDEX CONCURRENTLY IF EXISTS (one index per statement) in a non-transactional migration.';
  },
});
