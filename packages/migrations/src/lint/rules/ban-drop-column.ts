import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-drop-column',
  severity: 'warning',
  anchor: 'C1',
  summary: 'DROP COLUMN',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => c.subtype === 'AT_DropColumn')
      .map(
        (c) =>
          `Dropping "${c.name}" from ${table} loses its data, and application versions still running that read or write it will fail. Stop using the column in a deploy first, then drop it.`,
      );
  },
});
