import { columnTypeUses } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'prefer-jsonb',
  severity: 'warning',
  anchor: 'C9',
  summary: 'json column',
  check({ type, node }) {
    return columnTypeUses(type, node)
      .filter((u) => u.type.name === 'json')
      .map(
        (u) =>
          `"${u.column}" is json, which has no equality operator (SELECT DISTINCT, UNION and GROUP BY on it fail) and is re-parsed on every access. Use jsonb.`,
      );
  },
});
