import { LOCK_ORDER, lockLabel, statementLock } from '../ast.js';
import { defineRule } from '../rule.js';

export default defineRule({
  id: 'require-lock-timeout',
  severity: 'warning',
  anchor: 'L19',
  summary: 'strong lock requested with no lock_timeout',
  check({ type, node, state, lockTimeoutManaged }) {
    if (lockTimeoutManaged || state.lockTimeoutSet) return;
    const lock = statementLock(type, node, state.defaultSchema);
    if (!lock || LOCK_ORDER.indexOf(lock.mode) < LOCK_ORDER.indexOf('ShareLock')) return;
    const tables = lock.tables.filter((t) => t && !state.isNew(t));
    if (lock.tables.length > 0 && tables.length === 0) return;
    return `This statement waits for ${lockLabel(lock.mode).startsWith('A') ? 'an' : 'a'} ${lockLabel(lock.mode)} lock with no lock_timeout; while it waits in the queue every later query on ${tables.join(', ') || 'the table'} waits behind it. SET LOCAL lock_timeout = '2s' first and retry on SQLSTATE 55P03 (the DatabaseMigrationManager does this for you).`;
  },
});
