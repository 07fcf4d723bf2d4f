import { DbrsError } from '@voicehive/db-core';

/** Normalises 15, 150018, '14.2', '15' to a server_version_num (150000, 150018, 140002). */
export function toVersionNum(v: number | string | undefined): number {
  if (v === undefined) return 150000;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw badVersion(v);
    if (v < 100) return Math.floor(v) * 10000;
    return Math.floor(v);
  }
  const m = /^(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) throw badVersion(v);
  const major = Number(m[1]);
  const minor = m[2] ? Number(m[2]) : 0;
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100;
}

function badVersion(v: unknown): DbrsError {
  return new DbrsError('INVALID_ARGUMENT', `Unrecognised serverVersion ${JSON.stringify(v)}.`, {
    hint: "Pass a major version (15), a server_version_num (150018) or a string such as '14.2'.",
  });
}
