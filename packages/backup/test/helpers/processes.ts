import { findExecutable } from '@voicehive/db-core/internal';

/** The zstd program is on PATH (the tests that need it fail under DBRS_REQUIRE_ALL=1 when it is not). */
export const hasZstd = findExecutable('zstd') !== undefined;

/** The process no longer exists (reaped, not only signalled). */
export function processGone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
