import { columnTypeUses } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'prefer-text-field',
  severity: 'info',
  anchor: 'H',
  summary: 'varchar(n) column',
  check({ type, node }) {
    return columnTypeUses(type, node)
      .filter((u) => u.type.name === 'varchar' && u.type.mods.length > 0)
      .map(
        (u) =>
          `"${u.column}" is varchar(${u.type.mods[0]}); raising the limit later is cheap, but lowering it rewrites the table. Prefer text with a CHECK (length(...) <= n) added NOT VALID.`,
      );
  },
});
