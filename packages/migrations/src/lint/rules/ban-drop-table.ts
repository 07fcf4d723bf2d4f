import { listName } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-drop-table',
  severity: 'warning',
  anchor: 'C2',
  summary: 'DROP TABLE / SCHEMA / DATABASE',
  check({ type, node, state }) {
    if (type === 'DropdbStmt')
      return {
        severity: 'error',
        message: 'DROP DATABASE in a migration destroys all data in it. Do this by hand, never in a migration.',
      };
    if (type !== 'DropStmt') return;
    if (node.removeType === 'OBJECT_SCHEMA')
      return 'DROP SCHEMA removes every object in it (with CASCADE) and breaks clients that use it. Deprecate first, check it is unused, then drop.';
    if (node.removeType !== 'OBJECT_TABLE') return;
    const tables = (node.objects ?? [])
      .map((o: { List?: { items?: [] } }) => listName(o.List?.items, state.defaultSchema))
      .filter((t: string) => !state.isNew(t));
    if (tables.length === 0) return;
    return `DROP TABLE ${tables.join(', ')} loses data and breaks application versions still using it (and takes an ACCESS EXCLUSIVE lock). Stop using the table in a deploy first, check it is empty, then drop it.`;
  },
});
