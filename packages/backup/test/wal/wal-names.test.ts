import { describe, expect, it } from 'vitest';
import { readSegmentHeader } from '../../src/wal/header.js';
import {
  assertWalName,
  formatLsn,
  lsnSegment,
  nextSegmentNames,
  parseLsn,
  parseWalName,
  segmentName,
  segmentNumber,
} from '../../src/wal/names.js';
import { craftSegment } from './segments.js';

describe('WAL file names', () => {
  it('parses segments, history, backup history and partial files', () => {
    expect(parseWalName('0000000100000002000000FF')).toEqual({
      name: '0000000100000002000000FF',
      kind: 'segment',
      timeline: 1,
      log: 2,
      seg: 255,
    });
    expect(parseWalName('00000003.history')).toMatchObject({ kind: 'history', timeline: 3 });
    expect(parseWalName('000000010000000000000002.00000028.backup')).toMatchObject({ kind: 'backup', timeline: 1 });
    expect(parseWalName('000000020000000000000005.partial')).toMatchObject({ kind: 'partial', timeline: 2, seg: 5 });
  });

  it.each([
    ['lower case hex', '00000001000000000000000a'],
    ['23 digits', '00000001000000000000001'],
    ['a path', 'pg_wal/000000010000000000000001'],
    ['traversal', '../000000010000000000000001'],
    ['empty', ''],
    ['archive_status file', '000000010000000000000001.ready'],
    ['timeline 0', '000000000000000000000001'],
  ])('refuses %s with INVALID_ARGUMENT saying what a WAL name looks like', (_why, name) => {
    let err: unknown;
    try {
      assertWalName(name);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toMatch(/not a WAL file name/);
  });

  it('numbers segments across the 4 GiB boundary and names the next ones', () => {
    expect(segmentNumber(parseWalName('0000000100000001000000FF')!)).toBe(511n);
    expect(segmentName(1, 512n)).toBe('000000010000000200000000');
    expect(nextSegmentNames('0000000100000001000000FE', 3)).toEqual([
      '0000000100000001000000FF',
      '000000010000000200000000',
      '000000010000000200000001',
    ]);
    expect(nextSegmentNames('00000001.history', 3)).toEqual([]);
    // 64 MiB segments: 64 per 4 GiB.
    expect(nextSegmentNames('00000001000000000000003F', 1, 64 << 20)).toEqual(['000000010000000100000000']);
  });

  it('converts LSNs and refuses bad ones', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(lsnSegment(parseLsn('1/1000000'))).toBe(257n);
    expect(() => parseLsn('3000060')).toThrow(/not an LSN/);
  });
});

describe('segment header check', () => {
  it('reads the system identifier and segment size', () => {
    const h = readSegmentHeader(parseWalName('000000010000000000000003')!, craftSegment('000000010000000000000003'));
    expect(h).toMatchObject({ systemIdentifier: '7300000000000000001', segmentBytes: 16 << 20 });
  });

  it('refuses a segment stored under another segment’s name, and a truncated one', () => {
    const bytes = craftSegment('000000010000000000000003');
    expect(() => readSegmentHeader(parseWalName('000000010000000000000004')!, bytes)).toThrow(/the name means/);
    expect(() => readSegmentHeader(parseWalName('000000010000000000000003')!, bytes.subarray(0, 8192))).toThrow(
      /segments are/,
    );
    expect(() => readSegmentHeader(parseWalName('000000010000000000000003')!, Buffer.alloc(16 << 20))).toThrow(
      /long page header/,
    );
  });
});
