import { defineRule } from '../rule.js';

export default defineRule({
  id: 'opaque-procedural-code',
  severity: 'warning',
  anchor: 'C13',
  summary: 'DO block or CALL: statements the linter cannot see',
  check({ type }) {
    if (type !== 'DoStmt' && type !== 'CallStmt') return;
    const what = type === 'DoStmt' ? 'A DO block' : 'A CALL';
    return `${what} runs statements (often dynamic EXECUTE) that no rule can inspect, so its locks, rewrites and scans go unchecked. Write the DDL as plain statements, or suppress this with a reason after reviewing what it runs (-- dbrs-lint-ignore opaque-procedural-code: <why>).`;
  },
});
