import { describe, expect, it } from 'vitest';
import { backupIdTime, isBackupId, newBackupId } from '../src/catalog/backup-id.js';
import { resolveSettings } from '../src/config.js';
import { filterArgs, tableSelected } from '../src/dump/filters.js';
import { parseToolVersion } from '../src/tools/pg-tools.js';
import { BackupType, StorageType } from '../src/types.js';
import { compareRowCounts } from '../src/verify/row-counts.js';

describe('backup ids', () => {
  it('sort by time and parse back', () => {
    const a = newBackupId(new Date('2026-01-02T03:04:05.006Z'));
    const b = newBackupId(new Date('2026-01-02T03:04:05.007Z'));
    expect(isBackupId(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(backupIdTime(a).toISOString()).toBe('2026-01-02T03:04:05.006Z');
    expect(isBackupId('../etc/passwd')).toBe(false);
  });
});

describe('enums', () => {
  it('work as values equal to the strings', () => {
    expect(BackupType.LOGICAL).toBe('logical');
    expect(BackupType.PHYSICAL).toBe('physical');
    expect(StorageType.S3).toBe('s3');
    expect(StorageType.AZURE).toBe('azure');
  });
});

describe('dump filters', () => {
  it('follow pg_dump: -t wins over -n, -T excludes, patterns fold case', () => {
    const f = { tables: ['public.book*'], schemas: ['audit'], excludeTables: ['bookings_old'] };
    expect(filterArgs(f)).toEqual(['--table=public.book*', '--exclude-table=bookings_old', '--schema=audit']);
    expect(tableSelected(f, 'public', 'bookings')).toBe(true);
    expect(tableSelected(f, 'public', 'bookings_old')).toBe(false);
    expect(tableSelected(f, 'audit', 'log')).toBe(false);
    expect(tableSelected({ schemas: ['audit'] }, 'audit', 'log')).toBe(true);
    expect(tableSelected({ excludeSchemas: ['audit'] }, 'audit', 'log')).toBe(false);
    expect(tableSelected({ tables: ['Guests'] }, 'public', 'guests')).toBe(true);
    expect(tableSelected({ tables: ['"Guests"'] }, 'public', 'guests')).toBe(false);
  });

  it('rejects patterns that would read as options', () => {
    expect(() => filterArgs({ tables: ['--file=/etc/x'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('tool versions', () => {
  it('parse modern and pre-10 versions', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')?.major).toBe(15);
    expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')?.major).toBe(9.6);
    expect(parseToolVersion('pg_dump (PostgreSQL) 17devel')?.major).toBe(17);
    expect(parseToolVersion('nonsense')).toBeUndefined();
  });
});

describe('config', () => {
  it('defaults: zstd, logical, 24 h grace', () => {
    const s = resolveSettings({});
    expect(s.compression).toBe('zstd');
    expect(s.backupType).toBe('logical');
    expect(s.incompleteGraceMs).toBe(86_400_000);
  });

  it('encryption on without a key is a config error that names the setting', () => {
    expect(() => resolveSettings({ encryption: true })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('BACKUP_ENCRYPTION_KEY') }),
    );
  });

  it('rejects unknown compression and bad retention', () => {
    expect(() => resolveSettings({ compression: 'lz4' as never })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => resolveSettings({ keepLast: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => resolveSettings({ storageType: 'ftp' as never })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('row count comparison', () => {
  const expected = { 'public.a': 3, 'public.b': 5 };
  it('strict: any difference fails and names the table', () => {
    expect(compareRowCounts(expected, { 'public.a': 3, 'public.b': 5 }, true)).toEqual({ compared: 2, mismatches: [] });
    expect(() => compareRowCounts(expected, { 'public.a': 3, 'public.b': 6 }, true)).toThrow(
      /public\.b: expected 5, restored 6/,
    );
  });
  it('not strict (cluster written after the count): differences are reported, a missing table still fails', () => {
    expect(compareRowCounts(expected, { 'public.a': 4, 'public.b': 5 }, false)).toEqual({
      compared: 2,
      mismatches: ['public.a: expected 3, restored 4'],
    });
    expect(() => compareRowCounts(expected, { 'public.a': 3 }, false)).toThrow(
      /public\.b: expected 5, restored missing/,
    );
  });
});
