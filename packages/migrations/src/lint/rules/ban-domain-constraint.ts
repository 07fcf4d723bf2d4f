import { defineRule } from '../rule.js';

export default defineRule({
  id: 'ban-domain-constraint',
  severity: 'warning',
  anchor: 'L23',
  summary: 'CHECK / NOT NULL constraints on domains',
  check({ type, node }) {
    // ALTER DOMAIN ADD CONSTRAINT (subtype C) and SET NOT NULL (O) check every column using the domain under a SHARE lock per table.
    if (type === 'AlterDomainStmt' && node.subtype === 'C' && !node.def?.Constraint?.skip_validation) {
      return {
        severity: 'error',
        message:
          'ALTER DOMAIN ... ADD CONSTRAINT re-checks every column of every table that uses the domain, holding a SHARE lock (writes blocked) on each of them during the scan. Add it NOT VALID, then ALTER DOMAIN ... VALIDATE CONSTRAINT separately (it does not block writes), or put the constraint on the columns.',
      };
    }
    if (type === 'AlterDomainStmt' && node.subtype === 'O') {
      return {
        severity: 'error',
        message:
          'ALTER DOMAIN ... SET NOT NULL scans every column of every table that uses the domain under a SHARE lock (writes blocked). Use a CHECK (VALUE IS NOT NULL) NOT VALID domain constraint and validate it separately.',
      };
    }
    if (
      type === 'CreateDomainStmt' &&
      (node.constraints ?? []).some(
        (c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_CHECK',
      )
    ) {
      return 'A domain with a CHECK cannot later be changed without re-checking every column that uses it, and converting a column to it rewrites the table. Prefer column constraints.';
    }
    return;
  },
});
