import { defineRule } from '../rule.js';

/** Reported by the driver at the end of a text: an explicit BEGIN that nothing ends. */
export default defineRule({
  id: 'ban-uncommitted-transaction',
  severity: 'error',
  anchor: 'H',
  summary: 'BEGIN without a COMMIT',
  check() {
    return;
  },
});

export const UNCOMMITTED_MESSAGE =
  'This BEGIN is never committed: the migration would look applied while its changes are rolled back when the session ends. Add COMMIT, or drop BEGIN and let the runner manage the transaction.';
