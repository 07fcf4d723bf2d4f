import { scansOrRewrites, statementLock } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-statement-timeout',
  severity: 'warning',
  anchor: 'L19',
  summary: 'a scan or rewrite under a strong lock with no statement_timeout',
  check({ type, node, state, statementTimeoutManaged }) {
    if (statementTimeoutManaged || state.statementTimeoutSet) return;
    if (!scansOrRewrites(type, node)) return;
    const lock = statementLock(type, node, state.defaultSchema);
    const tables = (lock?.tables ?? []).filter((t) => t && !state.isNew(t));
    if (lock && lock.tables.length > 0 && tables.length === 0) return;
    return `This statement scans or rewrites ${tables.join(', ') || 'a table'} while holding a lock that blocks other sessions, with no statement_timeout: nothing bounds how long they wait. SET LOCAL statement_timeout first (the DatabaseMigrationManager does with statementTimeoutMs), sized for the table.`;
  },
});
