import { alterCmds } from '../ast.js';
import { defineRule } from '../rule.js';

const REWRITING: Record<string, string> = {
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
};

export default defineRule({
  id: 'table-rewrite-set-storage',
  severity: 'error',
  anchor: 'H',
  summary: 'SET LOGGED/UNLOGGED/TABLESPACE/ACCESS METHOD',
  check({ type, node, state, rel }) {
    if (type !== 'AlterTableStmt') return;
    const table = rel(node.relation);
    if (state.isNew(table)) return;
    return alterCmds(node)
      .filter((c) => REWRITING[c.subtype])
      .map(
        (c) =>
          `${REWRITING[c.subtype]} copies all of ${table} while holding an ACCESS EXCLUSIVE lock. Run it in a maintenance window, or build a new table and swap.`,
      );
  },
});
