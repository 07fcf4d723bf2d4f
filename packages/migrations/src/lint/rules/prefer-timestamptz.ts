import { columnTypeUses } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'prefer-timestamptz',
  severity: 'info',
  anchor: 'H',
  summary: 'timestamp without time zone',
  check({ type, node }) {
    return columnTypeUses(type, node)
      .filter((u) => u.type.name === 'timestamp')
      .map(
        (u) =>
          `"${u.column}" is timestamp without time zone; values lose their zone and comparisons across zones go wrong. Use timestamptz.`,
      );
  },
});
