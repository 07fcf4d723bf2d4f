import { randomBytes } from 'node:crypto';
import { DbrsError } from '@voicehive/db-core';

const PATTERN = /^(\d{8}T\d{6}\d{3}Z)-([0-9a-f]{6})$/;

/** `20261126T143854123Z-a1b2c3`: sorts by time as a string, random suffix avoids collisions. */
export function newBackupId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isBackupId(value: string): boolean {
  return PATTERN.test(value);
}

export function backupIdTime(id: string): Date {
  const m = PATTERN.exec(id);
  if (!m)
    throw new DbrsError('INVALID_ARGUMENT', `"${id}" is not a backup id.`, { hint: 'Use an id from listBackups().' });
  const s = m[1]!;
  return new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`,
  );
}

export function assertBackupId(id: string): void {
  if (typeof id !== 'string' || !isBackupId(id)) {
    throw new DbrsError('INVALID_ARGUMENT', `"${String(id).slice(0, 80)}" is not a backup id.`, {
      hint: 'Backup ids look like 20261126T143854123Z-a1b2c3; take one from listBackups().',
    });
  }
}
