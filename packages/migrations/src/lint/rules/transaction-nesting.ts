import { defineRule } from '../rule.js';

export default defineRule({
  id: 'transaction-nesting',
  severity: 'error',
  anchor: 'H',
  summary: 'explicit BEGIN/COMMIT where the runner already opened a transaction',
  check({ type, node, runnerTransaction, inTransaction }) {
    if (type !== 'TransactionStmt') return;
    const kind = String(node.kind ?? '');
    const begins = kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START';
    const ends = kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK';
    if (runnerTransaction && (begins || ends)) {
      return `The runner already wraps this migration in a transaction; an explicit ${begins ? 'BEGIN' : 'COMMIT/ROLLBACK'} ends it early, so later statements run (and fail) outside its control. Remove it, or mark the migration "-- dbrs:no-transaction".`;
    }
    if (ends && !inTransaction) {
      return {
        severity: 'warning',
        message: `${kind === 'TRANS_STMT_COMMIT' ? 'COMMIT' : 'ROLLBACK'} with no transaction open: PostgreSQL only warns "there is no transaction in progress", so the statements you meant to group already ran one by one. Remove the stray statement and check where the transaction was meant to start.`,
      };
    }
    if (begins && inTransaction)
      return 'BEGIN inside an open transaction is ignored with a warning; the nesting you expect does not exist. Remove it.';
    return;
  },
});
