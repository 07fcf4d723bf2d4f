import { LOCK_ORDER, lockLabel } from '../ast.js';
import { listSome } from '../format.js';
import { defineRule } from '../rule.js';

const SHARE = LOCK_ORDER.indexOf('ShareLock');

export default defineRule({
  id: 'backfill-in-ddl-transaction',
  severity: 'warning',
  anchor: 'L21',
  summary: 'UPDATE/DELETE of existing rows in the same transaction as DDL',
  check({ type, node, state, rel, inTransaction }) {
    if (!inTransaction || (type !== 'UpdateStmt' && type !== 'DeleteStmt')) return;
    const table = rel(node.relation);
    if (state.isNew(table) || !state.tx.ddlOnExisting) return;
    const held = [...state.tx.locks.entries()].filter(([, m]) => m !== 'RowExclusiveLock');
    const strong = held.some(([, m]) => LOCK_ORDER.indexOf(m) >= SHARE);
    const list = listSome(
      held.map(([t, m]) => `${t} (${lockLabel(m)}${t === table ? ', the table being updated' : ''})`),
    );
    const message = `A backfill on ${table} runs inside the same transaction as DDL, so the DDL locks${list ? ` on ${list}` : ''} are held for the whole backfill. Commit the DDL first and backfill in small batches outside the DDL transaction.`;
    // The principle: ACCESS EXCLUSIVE or SHARE on an existing table held for longer than a catalog update is an error.
    return strong ? { severity: 'error', message } : message;
  },
});
