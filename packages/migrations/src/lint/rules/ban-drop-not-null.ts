import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-drop-not-null',
  severity: 'warning',
  anchor: 'C4',
  summary: 'DROP NOT NULL',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => c.subtype === 'AT_DropNotNull')
      .map(
        (c) =>
          `Dropping NOT NULL on "${c.name}" lets NULLs reach readers that assume there are none. Make sure every consumer handles NULL first.`,
      );
  },
});
