import { defineRule } from '../rule.js';

export default defineRule({
  id: 'adding-unique-index-on-existing-data',
  severity: 'info',
  anchor: 'C6',
  summary: 'unique index on a table that already has rows',
  check({ type, node, state, rel }) {
    if (type !== 'IndexStmt' || !node.unique) return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return `A unique index on ${table} fails if production already holds duplicates (a failed CONCURRENTLY build leaves an INVALID index, which the runner drops). Check for duplicates before deploying.`;
  },
});
