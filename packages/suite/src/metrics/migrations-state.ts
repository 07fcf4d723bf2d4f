import type { AuditLog, Metrics } from '@voicehive/db-core';
import type { DatabaseMigrationManager } from '@voicehive/db-migrations';

/**
 * Migration series from the migrations table and the audit table, so the
 * process that serves /metrics reports what short-lived `dbrs migrate up`
 * runs did. Never applied: the timestamp is absent, not 0 ("56 years").
 */
export async function exportMigrationState(options: {
  manager: DatabaseMigrationManager;
  metrics: Metrics;
  audit: AuditLog;
}): Promise<{ applied: number; pending: number; unresolvedFailures: number }> {
  const m = options.metrics;
  const pending = m.gauge({ name: 'migrations_pending', help: 'Migrations in the directory not applied yet.' });
  const applied = m.gauge({
    name: 'migrations_applied',
    help: 'Migrations recorded as applied in the migrations table.',
  });
  const lastInfo = m.gauge({
    name: 'migration_last_applied_info',
    help: 'Name of the last applied migration (value 1).',
    labelNames: ['name'],
  });
  const failure = m.gauge({
    name: 'migration_failure_timestamp_seconds',
    help: 'Unix time a migration last failed, for migrations whose latest attempt failed and that are still not applied.',
    labelNames: ['name'],
  });

  const s = await options.manager.status();
  pending.set(s.pending.length);
  applied.set(s.applied.length);
  const newest = s.applied.reduce<(typeof s.applied)[number] | undefined>(
    (a, b) => (!a || b.appliedAt > a.appliedAt ? b : a),
    undefined,
  );
  if (newest) {
    // Created only when there is a value: an unlabelled gauge exports 0 until set ("applied in 1970").
    m.gauge({
      name: 'migration_last_applied_timestamp_seconds',
      help: 'Unix time of the last successfully applied migration.',
    }).set(newest.appliedAt.getTime() / 1000);
    lastInfo.reset();
    lastInfo.set({ name: newest.name }, 1);
  }
  const appliedNames = new Set(s.applied.map((a) => a.name));
  const attempts = await options.audit.list({ action: 'migration.apply', limit: 200 });
  const latest = new Map<string, (typeof attempts)[number]>();
  for (const a of attempts) if (!latest.has(a.target)) latest.set(a.target, a); // newest first
  failure.reset();
  let unresolved = 0;
  for (const [name, a] of latest) {
    if (a.outcome !== 'failure' || appliedNames.has(name)) continue;
    failure.set({ name }, Date.parse(a.time) / 1000);
    unresolved++;
  }
  return { applied: s.applied.length, pending: s.pending.length, unresolvedFailures: unresolved };
}
