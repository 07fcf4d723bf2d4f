import { defineRule } from '../rule.js';

export default defineRule({
  id: 'foreign-key-without-index',
  severity: 'warning',
  anchor: 'C14',
  summary: 'foreign key with no index on its columns (new tables; existing ones when the catalog is loaded)',
  check() {
    return;
  },
  // Reported at the end because the index may come in a later statement or migration. Existing tables are
  // only checked when the live catalog listed their indexes (see LintState.indexesKnown).
  end(state) {
    return state.foreignKeys
      .filter(
        (fk) =>
          !(state.indexLeads.get(fk.table) ?? []).some((lead) =>
            fk.columns.every((c) => lead.slice(0, fk.columns.length).includes(c)),
          ),
      )
      .map((fk) => ({
        message: `No index on ${fk.table} (${fk.columns.join(', ')}): every UPDATE or DELETE of a referenced row scans ${fk.table} to check the foreign key. Create an index whose leading columns are the foreign key's.`,
        line: fk.line,
        statement: fk.statement,
        ...(fk.migration ? { migration: fk.migration } : {}),
        ...(fk.suppressed ? { suppressed: fk.suppressed } : {}),
      }));
  },
});
