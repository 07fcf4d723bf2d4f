import { listName } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'creating-enum',
  severity: 'info',
  anchor: 'H',
  summary: 'new enum type (prefer a lookup table)',
  check({ type, node }) {
    if (type !== 'CreateEnumStmt') return;
    const name = listName(node.typeName, '').split('.').pop();
    return `Enum "${name}": values can be added but not removed or renamed without rewriting every column that uses it, and no data can be attached to a value. A lookup table with a foreign key (or a text column with a CHECK) changes with plain DML.`;
  },
});
