export const LOCK_NOT_AVAILABLE = '55P03';

export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === LOCK_NOT_AVAILABLE;
}

/** Exponential backoff with full jitter (pgroll/strong_migrations style), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
