import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-concurrent-index-creation',
  severity: 'error',
  anchor: 'L1',
  summary: 'CREATE INDEX without CONCURRENTLY on an existing table',
  check({ type, node, state, rel }) {
    if (type !== 'IndexStmt' || node.concurrent) return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return `CREATE INDEX on ${table} takes a SHARE lock that blocks all writes for the whole build. Use CREATE INDEX CONCURRENTLY IF NOT EXISTS in a non-transactional migration (first line "-- dbrs:no-transaction").`;
  },
});
