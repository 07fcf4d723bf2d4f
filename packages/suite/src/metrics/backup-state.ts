import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { AuditLog, Metrics } from '@voicehive/db-core';

/**
 * The backup series from durable state: the catalog (manifests in storage)
 * for the newest backup and its verification, the audit table for whether
 * the latest attempt failed. Names, help and labels are the backup
 * package's, so these are the same series whichever process set them. What
 * is not known (no backup yet, no attempt audited) is left absent, never 0.
 */
// Long: one gauge per fact, each set from the same reads.
export async function exportBackupState(options: {
  manager: DatabaseBackupManager;
  metrics: Metrics;
  audit: AuditLog;
  signal?: AbortSignal;
}): Promise<{ backups: number }> {
  const { manager, metrics: m } = options;
  const lastSuccess = m.gauge({
    name: 'backup_last_success_timestamp_seconds',
    help: 'Unix time the latest successful backup finished',
    labelNames: ['database', 'type'],
  });
  const size = m.gauge({
    name: 'backup_size_bytes',
    help: 'Stored size of the latest successful backup',
    labelNames: ['database', 'type'],
  });
  const status = m.gauge({
    name: 'backup_status',
    help: 'Outcome of the latest backup: 1 ok, 0 failed',
    labelNames: ['database', 'type'],
  });
  const verification = m.gauge({
    name: 'backup_verification_status',
    help: 'Outcome of the latest verification: 1 ok, 0 failed',
    labelNames: ['database', 'level'],
  });
  const lastVerification = m.gauge({
    name: 'backup_last_verification_timestamp_seconds',
    help: 'Unix time of the latest successful verification',
    labelNames: ['database'],
  });
  const restoreTest = m.gauge({
    name: 'backup_restore_test_duration_seconds',
    help: 'Measured restore time of the latest level-3 restore test (achieved RTO)',
    labelNames: ['database'],
  });
  const count = m.gauge({
    name: 'backup_catalog_backups',
    help: 'Completed backups in the catalog (storage), per database',
    labelNames: ['database'],
  });

  const list = await manager.listBackups({ signal: options.signal });
  const newest = new Map<string, (typeof list)[number]>();
  const perDatabase = new Map<string, number>();
  for (const b of list) {
    perDatabase.set(b.database, (perDatabase.get(b.database) ?? 0) + 1);
    const k = `${b.database}\u0000${b.type}`;
    const seen = newest.get(k);
    if (!seen || b.finishedAt > seen.finishedAt) newest.set(k, b);
  }
  for (const [database, n] of perDatabase) count.set({ database }, n);
  for (const b of newest.values()) {
    lastSuccess.set({ database: b.database, type: b.type }, b.finishedAt.getTime() / 1000);
    size.set({ database: b.database, type: b.type }, b.storedBytes);
  }
  // Verification: the newest verification record per database, whichever backup carries it.
  const verified = new Map<string, NonNullable<(typeof list)[number]['manifest']['verification']>>();
  for (const b of list) {
    const v = b.manifest.verification;
    if (!v) continue;
    const seen = verified.get(b.database);
    if (!seen || Date.parse(v.at) > Date.parse(seen.at)) verified.set(b.database, v);
  }
  verification.reset();
  for (const [database, v] of verified) {
    verification.set({ database, level: String(v.level) }, v.ok ? 1 : 0);
    if (v.ok) lastVerification.set({ database }, Date.parse(v.at) / 1000);
    if (v.restoreDurationMs !== undefined) restoreTest.set({ database }, v.restoreDurationMs / 1000);
  }
  // Whether the latest attempt failed is not in the catalog (only completed backups are): the audit table has it.
  const attempts = await options.audit.list({ action: 'backup.create', limit: 50 });
  const latestAttempt = new Map<string, (typeof attempts)[number]>();
  for (const a of attempts) {
    if (a.outcome !== 'success' && a.outcome !== 'failure') continue;
    const database = a.target.split('/')[0] ?? a.target;
    if (!latestAttempt.has(database)) latestAttempt.set(database, a); // newest first
  }
  for (const [database, a] of latestAttempt) {
    const type = typeof a.details?.['type'] === 'string' ? (a.details['type'] as string) : undefined;
    const types = type ? [type] : [...newest.values()].filter((b) => b.database === database).map((b) => b.type);
    for (const t of types) status.set({ database, type: t }, a.outcome === 'success' ? 1 : 0);
  }
  return { backups: list.length };
}
