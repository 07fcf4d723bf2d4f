import { defineRule } from '../rule.js';

export default defineRule({
  id: 'refresh-matview-blocking',
  severity: 'error',
  anchor: 'H',
  summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY',
  check({ type, node, state, rel }) {
    if (type !== 'RefreshMatViewStmt' || node.concurrent) return;
    if (state.isNew(rel(node.relation))) return;
    return 'REFRESH MATERIALIZED VIEW takes an ACCESS EXCLUSIVE lock: every read of the view waits until it finishes. Use REFRESH MATERIALIZED VIEW CONCURRENTLY (EXCLUSIVE lock, reads continue; needs a unique index).';
  },
});
