import { defineRule } from '../rule.js';

export default defineRule({
  id: 'renaming-column-or-table',
  severity: 'warning',
  anchor: 'C3',
  summary: 'RENAME of a column, table or schema',
  check({ type, node, state, rel }) {
    if (type !== 'RenameStmt') return;
    const table = node.relation ? rel(node.relation) : '';
    if (table && state.isNew(table)) return;
    if (node.renameType === 'OBJECT_COLUMN') {
      return `Renaming "${node.subname}" on ${table} breaks application versions still running during the deploy. Expand/contract: add the new column, dual-write, backfill, switch reads, then drop the old one.`;
    }
    if (node.renameType === 'OBJECT_TABLE' || node.renameType === 'OBJECT_SCHEMA') {
      return `Renaming ${node.renameType === 'OBJECT_TABLE' ? `table ${table}` : `schema ${node.subname}`} breaks application versions still using the old name. Rename and leave an updatable view with the old name until every client has moved.`;
    }
    return;
  },
});
