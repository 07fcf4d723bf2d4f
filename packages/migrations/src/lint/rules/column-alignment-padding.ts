import { typeInfo } from '../ast.js';
import { defineRule } from '../rule.js';

/** typlen and typalign of fixed-width built-in types (pg_type); everything else is treated as variable width. */
const FIXED: Record<string, [len: number, align: number]> = {
  bool: [1, 1],
  char: [1, 1],
  int2: [2, 2],
  smallserial: [2, 2],
  serial2: [2, 2],
  int4: [4, 4],
  serial: [4, 4],
  serial4: [4, 4],
  oid: [4, 4],
  float4: [4, 4],
  date: [4, 4],
  int8: [8, 8],
  bigserial: [8, 8],
  serial8: [8, 8],
  float8: [8, 8],
  money: [8, 8],
  time: [8, 8],
  timestamp: [8, 8],
  timestamptz: [8, 8],
  timetz: [12, 8],
  interval: [16, 8],
  uuid: [16, 1],
};

/**
 * Alignment padding of a row in this column order (all values non-null).
 * Once a variable-width column has been placed the offset is unknown, so a
 * later aligned column is charged its worst case (align - 1).
 */
function paddingBytes(cols: Array<[len: number, align: number] | undefined>): number {
  let offset = 0;
  let known = true;
  let pad = 0;
  for (const c of cols) {
    if (!c) {
      known = false;
      continue;
    }
    const [len, align] = c;
    if (!known) {
      pad += align - 1;
      continue;
    }
    const p = (align - (offset % align)) % align;
    pad += p;
    offset += p + len;
  }
  return pad;
}

export default defineRule({
  id: 'column-alignment-padding',
  severity: 'info',
  anchor: 'H',
  summary: 'CREATE TABLE column order that wastes alignment padding',
  check({ type, node }) {
    if (type !== 'CreateStmt') return;
    const cols: Array<{ name: string; w: [number, number] | undefined }> = [];
    for (const e of node.tableElts ?? []) {
      if (!e.ColumnDef) continue;
      const t = typeInfo(e.ColumnDef.typeName);
      cols.push({ name: e.ColumnDef.colname, w: t && !t.array ? FIXED[t.name] : undefined });
    }
    const declared = paddingBytes(cols.map((c) => c.w));
    // Best order: fixed-width columns by alignment, widest first, then the variable-width ones.
    const best = [...cols].sort((a, b) => (b.w?.[1] ?? 0) - (a.w?.[1] ?? 0));
    const optimal = paddingBytes(best.map((c) => c.w));
    const saved = declared - optimal;
    // Under 4 bytes a row is not worth a review comment.
    if (saved < 4) return;
    return `This column order wastes up to ${saved} bytes of alignment padding per row (PostgreSQL aligns 8-byte types such as bigint and timestamptz to 8 bytes). Declare fixed-width columns first, widest alignment first, then variable-width ones: ${best.map((c) => c.name).join(', ')}.`;
  },
});
