import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-truncate-cascade',
  severity: 'error',
  anchor: 'L24',
  summary: 'TRUNCATE ... CASCADE',
  check({ type, node }) {
    if (type !== 'TruncateStmt' || node.behavior !== 'DROP_CASCADE') return;
    return 'TRUNCATE ... CASCADE takes ACCESS EXCLUSIVE locks on, and silently empties, every table reachable through foreign keys. List the tables to truncate explicitly.';
  },
});
