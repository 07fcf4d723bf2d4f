import type { IndexInfo } from '../catalog/catalog.js';
import type { StatementShape } from './parse-statement.js';

/** A statement that writes a table, with the rows it wrote in the statistics window. */
export interface TableWrite {
  tableOid: number;
  kind: StatementShape['kind'];
  rows: number;
  /** UPDATE only: the columns it assigns. */
  setColumns?: string[];
}

/**
 * Rows a new index on `columns` of the table would have to take entries for, from the workload's writes as
 * PostgreSQL does them: every INSERT adds an entry to every index; a DELETE adds none (the entries die with
 * the heap tuple and VACUUM removes them); an UPDATE adds one only when it is not HOT, which it cannot be
 * when it assigns a column of the new index or of an index the table already has (README.HOT in the
 * PostgreSQL source: HOT needs every indexed column unchanged). An UPDATE whose SET list is unknown counts.
 */
export function indexWriteRows(input: {
  tableOid: number;
  columns: string[];
  writes: TableWrite[];
  indexes: IndexInfo[];
}): number {
  const indexed = new Set(
    input.indexes.filter((i) => i.tableOid === input.tableOid).flatMap((i) => i.columns.filter((c) => c !== null)),
  );
  const expressionIndexed = input.indexes.some((i) => i.tableOid === input.tableOid && i.columns.includes(null));
  let rows = 0;
  for (const w of input.writes) {
    if (w.tableOid !== input.tableOid) continue;
    if (w.kind === 'insert') rows += w.rows;
    else if (w.kind === 'update') {
      const set = w.setColumns;
      const nonHot = !set || expressionIndexed || set.some((c) => input.columns.includes(c) || indexed.has(c));
      if (nonHot) rows += w.rows;
    }
  }
  return rows;
}
