import type { CommandSpec } from './index.js';
import { lazy } from './lazy.js';
import { WAL_HOT_COMMANDS } from './wal-specs.js';

const backup = () => import('./backup.js');
const capacity = () => import('./capacity.js');
const migrate = () => import('./migrate.js');
const performance = () => import('./performance.js');
const pgbouncer = () => import('./pgbouncer.js');
const walAdmin = () => import('./wal-admin.js');

const dir = { dir: { type: 'string' } } as const;

/** Adds the backup, wal, migrate, performance, capacity and pgbouncer commands. */
// Long: a table of command specs (data, not logic).
export function registerFeatureCommands(commands: Record<string, CommandSpec>): void {
  Object.assign(commands, {
    'backup create': {
      summary: 'Create a backup now (progress on stderr); --incremental: physical, PostgreSQL 17+.',
      options: { database: { type: 'string' }, type: { type: 'string' }, incremental: { type: 'boolean' } },
      run: lazy(backup, 'backupCreate'),
    },
    'backup list': {
      summary: 'List complete backups (from their manifests).',
      options: { database: { type: 'string' }, limit: { type: 'string' } },
      run: lazy(backup, 'backupList'),
    },
    'backup verify': {
      summary: 'Verify a backup: --level 1 checksums, 2 readable (default), 3 restore test.',
      usage: '<backup-id>',
      maxArgs: 1,
      options: { level: { type: 'string' }, 'restore-test': { type: 'boolean' } },
      run: lazy(backup, 'backupVerify'),
    },
    'backup restore': {
      summary:
        'Restore a backup into --target-url or --target-database; a physical one into --target-directory, to a point with --target-time|--target-lsn|--target-xid|--target-name|--target-immediate (backup id "latest" picks the base backup) and --start to replay now.',
      usage: '<backup-id|latest>',
      maxArgs: 1,
      options: {
        'target-url': { type: 'string' },
        'target-database': { type: 'string' },
        'target-directory': { type: 'string' },
        'target-time': { type: 'string' },
        'target-lsn': { type: 'string' },
        'target-xid': { type: 'string' },
        'target-name': { type: 'string' },
        'target-immediate': { type: 'boolean' },
        exclusive: { type: 'boolean' },
        start: { type: 'boolean' },
        'no-promote': { type: 'boolean' },
        clean: { type: 'boolean' },
        'schema-only': { type: 'boolean' },
        jobs: { type: 'string' },
      },
      run: lazy(backup, 'backupRestore'),
    },
    'backup cleanup': {
      summary: 'Apply retention: delete expired backups (--dry-run to preview).',
      options: { 'dry-run': { type: 'boolean' } },
      run: lazy(backup, 'backupCleanup'),
    },
    ...WAL_HOT_COMMANDS,
    'wal setup': {
      summary:
        'Show the archive settings dbrs needs (archive_command = this CLI); --apply sets them with ALTER SYSTEM.',
      options: { apply: { type: 'boolean' }, 'archive-timeout': { type: 'string' } },
      run: lazy(walAdmin, 'walSetup'),
    },
    'wal status': {
      summary:
        'pg_stat_archiver (failures, last archived, lag) and the recovery window (exit 3 when failing or gapped).',
      run: lazy(walAdmin, 'walStatus'),
    },
    'wal verify': {
      summary: 'Check the archived WAL is continuous from each physical base backup to now (exit 1 on a gap).',
      run: lazy(walAdmin, 'walVerify'),
    },
    'wal restore-point': {
      summary: 'Create a named restore point (pg_create_restore_point), listed for --target-name restores.',
      usage: '<name>',
      maxArgs: 1,
      run: lazy(walAdmin, 'walRestorePoint'),
    },
    'migrate status': { summary: 'Applied and pending migrations.', options: dir, run: lazy(migrate, 'migrateStatus') },
    'migrate plan': {
      summary: 'What `migrate up` would apply, in order.',
      options: { ...dir, to: { type: 'string' } },
      run: lazy(migrate, 'migratePlan'),
    },
    'migrate lint': {
      summary: 'Static safety lint of pending migrations (exit 1 on errors); --enable-rule/--disable-rule <id>.',
      options: {
        ...dir,
        'enable-rule': { type: 'string', multiple: true },
        'disable-rule': { type: 'string', multiple: true },
      },
      run: lazy(migrate, 'migrateLint'),
    },
    'migrate test': {
      summary:
        'Apply, roll back and re-apply pending migrations on a scratch copy, with the lock trace. --with-data: full copy when small, else a sample (--sample-rows N per table).',
      options: { ...dir, 'with-data': { type: 'boolean' }, 'sample-rows': { type: 'string' } },
      run: lazy(migrate, 'migrateTest'),
    },
    'migrate up': {
      summary: 'Apply pending migrations (--test-first to test on a copy first).',
      options: { ...dir, to: { type: 'string' }, 'test-first': { type: 'boolean' } },
      run: lazy(migrate, 'migrateUp'),
    },
    'migrate down': {
      summary: 'Roll back --step N (default 1) or --to <migration> (0 = all).',
      options: { ...dir, to: { type: 'string' }, step: { type: 'string' } },
      run: lazy(migrate, 'migrateDown'),
    },
    'migrate repair': {
      summary:
        'Accept deliberately edited applied migrations (new checksums); needs --yes. Optionally one <migration>.',
      usage: '[<migration>]',
      maxArgs: 1,
      options: { ...dir, yes: { type: 'boolean' } },
      run: lazy(migrate, 'migrateRepair'),
    },
    'performance report': {
      summary: 'Slow queries, index health, cache hit ratio, connections.',
      run: lazy(performance, 'performanceReport'),
    },
    'performance recommend': {
      summary: 'Index recommendations with their CREATE statements.',
      run: lazy(performance, 'performanceRecommend'),
    },
    'capacity report': {
      summary: 'Current sizes, growth and alerts (takes a sample first; --no-sample to skip).',
      options: { 'no-sample': { type: 'boolean' } },
      run: lazy(capacity, 'capacityReport'),
    },
    'capacity forecast': { summary: 'Forecasts of days until each limit.', run: lazy(capacity, 'capacityForecast') },
    'pgbouncer config': {
      summary:
        'Render pgbouncer.ini for a profile (--profile oltp|analytics, --auth-type scram-sha-256|md5|trust, --admin-user <name>); no connection needed.',
      options: {
        profile: { type: 'string' },
        'pool-size': { type: 'string' },
        'listen-port': { type: 'string' },
        'listen-addr': { type: 'string' },
        'userlist-out': { type: 'string' },
        'auth-type': { type: 'string' },
        'admin-user': { type: 'string' },
      },
      run: lazy(pgbouncer, 'pgbouncerConfig'),
    },
  } satisfies Record<string, CommandSpec>);
}
