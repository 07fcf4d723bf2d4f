import { DbrsError } from '@voicehive/db-core';
import { segmentNumber, type WalFileName } from './names.js';

/** What the first page of every WAL segment says about it (XLogLongPageHeaderData). */
export interface SegmentHeader {
  systemIdentifier: string;
  segmentBytes: number;
  pageAddress: bigint;
}

const XLP_LONG_HEADER = 0x0002;

/**
 * Reads the long page header at the start of a segment. Used on push to
 * refuse a file whose content is not the segment its name says (a copy under
 * the wrong name would be restored as the wrong WAL), and to record the
 * cluster's system identifier and segment size with the archived object.
 */
export function readSegmentHeader(file: WalFileName, bytes: Uint8Array): SegmentHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 40 || (buf.readUInt16LE(2) & XLP_LONG_HEADER) === 0) {
    throw invalid(file, 'it does not start with a WAL long page header');
  }
  const segmentBytes = buf.readUInt32LE(32);
  if (segmentBytes < 1 << 20 || segmentBytes > 1 << 30 || (segmentBytes & (segmentBytes - 1)) !== 0) {
    throw invalid(file, `its header names a segment size of ${segmentBytes} bytes`);
  }
  if (buf.length !== segmentBytes) {
    throw invalid(file, `it is ${buf.length} bytes, its header says segments are ${segmentBytes}`);
  }
  const pageAddress = buf.readBigUInt64LE(8);
  const expected = segmentNumber(file, segmentBytes) * BigInt(segmentBytes);
  if (pageAddress !== expected) {
    throw invalid(file, `its first page is at ${pageAddress.toString(16)}, the name means ${expected.toString(16)}`);
  }
  return { systemIdentifier: buf.readBigUInt64LE(24).toString(), segmentBytes, pageAddress };
}

function invalid(file: WalFileName, why: string): DbrsError {
  return new DbrsError('INVALID_ARGUMENT', `${file.name} is not a valid WAL segment: ${why}.`, {
    hint: 'Archive the files PostgreSQL passes as %p to archive_command, unchanged.',
    details: { name: file.name },
  });
}
