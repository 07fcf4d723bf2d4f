import { defineRule } from '../rule.js';

export default defineRule({
  id: 'foreign-key-without-index',
  severity: 'warning',
  anchor: 'C14',
  summary: 'foreign key on a new table with no index on its columns',
  check() {
    return;
  },
  // Only tables created in this run: for them every index is visible here (an index may come in a later statement).
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
      }));
  },
});
