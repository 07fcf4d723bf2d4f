import { hasDefElem } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'concurrent-index-corruption-pg14',
  severity: 'error',
  anchor: 'L25',
  summary: 'CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0–14.3',
  check({ type, node, version }) {
    if (version < 140000 || version >= 140004) return;
    const conc =
      (type === 'IndexStmt' && node.concurrent) || (type === 'ReindexStmt' && hasDefElem(node.params, 'concurrently'));
    if (!conc) return;
    return 'PostgreSQL 14.0 to 14.3 can silently corrupt indexes built CONCURRENTLY. Upgrade the server to 14.4 or later before running this migration.';
  },
});
