import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-enum-value-ordering',
  severity: 'info',
  anchor: 'C10',
  summary: 'ALTER TYPE ... ADD VALUE without BEFORE/AFTER',
  check({ type, node }) {
    if (type !== 'AlterEnumStmt' || !node.newVal || node.newValNeighbor || node.oldVal) return;
    return `ADD VALUE '${node.newVal}' appends at the end, which changes ORDER BY results if the enum order matters. Say BEFORE or AFTER explicitly.`;
  },
});
