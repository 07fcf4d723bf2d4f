import { defineRule } from '../rule.js';

export default defineRule({
  id: 'index-too-many-columns',
  severity: 'info',
  anchor: 'H',
  summary: 'non-unique index with more than three key columns',
  check({ type, node }) {
    if (type !== 'IndexStmt' || node.unique) return;
    const keys = (node.indexParams ?? []).length;
    if (keys <= 3) return;
    return `This non-unique index has ${keys} key columns: past the first few the index rarely narrows the scan further, but every write pays for the wider entries. Lead with the most selective columns and keep 3 or fewer; move columns only read by the query to INCLUDE (...).`;
  },
});
