import { columnTypeUses } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-char-field',
  severity: 'info',
  anchor: 'H',
  summary: 'char(n) column',
  check({ type, node }) {
    return columnTypeUses(type, node)
      .filter((u) => u.type.name === 'bpchar')
      .map((u) => `"${u.column}" is char(n), which pads with spaces and surprises comparisons. Use text (or varchar).`);
  },
});
