import type { TableInfo } from '../catalog/catalog.js';

export interface SeqScanHeavyTable {
  schema: string;
  table: string;
  seqScan: number;
  idxScan: number;
  seqTupRead: number;
  /** Rows read per sequential scan. */
  avgRowsPerScan: number;
  liveRows: number;
}

/** The original's troubleshooting query: more sequential than index scans, and many rows read that way. */
export function findSeqScanHeavy(tables: TableInfo[], minTupRead: number): SeqScanHeavyTable[] {
  return tables
    .filter((t) => t.seqScan > t.idxScan && t.seqTupRead >= minTupRead)
    .sort((a, b) => b.seqTupRead - a.seqTupRead)
    .slice(0, 50)
    .map((t) => ({
      schema: t.schema,
      table: t.name,
      seqScan: t.seqScan,
      idxScan: t.idxScan,
      seqTupRead: t.seqTupRead,
      avgRowsPerScan: t.seqScan > 0 ? Math.round(t.seqTupRead / t.seqScan) : 0,
      liveRows: t.nLiveTup,
    }));
}
