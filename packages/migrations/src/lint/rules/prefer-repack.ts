import { hasDefElem } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'prefer-repack',
  severity: 'error',
  anchor: 'L18',
  summary: 'VACUUM FULL or CLUSTER',
  check({ type, node }) {
    const full = type === 'VacuumStmt' && node.is_vacuumcmd && hasDefElem(node.options, 'full');
    if (!full && type !== 'ClusterStmt') return;
    return `${full ? 'VACUUM FULL' : 'CLUSTER'} rewrites the table under an ACCESS EXCLUSIVE lock for its whole duration. Use pg_repack (or REPACK CONCURRENTLY where available) outside migrations.`;
  },
});
