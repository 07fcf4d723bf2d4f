import type { DatabaseBackupManager } from '@voicehive/db-backup';
import { DbrsError } from '@voicehive/db-core';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatFields, formatTable } from '../table.js';
import { ONLY, openFeature } from './require-feature.js';

async function open(ctx: CommandContext) {
  const { suite, feature } = await openFeature<DatabaseBackupManager>(ctx, 'backup', {
    ...ONLY.backup,
    backupEnabled: true,
  });
  return { suite, backups: feature };
}

function shq(word: string): string {
  return /^[A-Za-z0-9_./=:@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** How this very CLI is started (node + script + --config), for archive_command / restore_command. */
export function selfCommand(ctx: CommandContext, words: string[]): string {
  const script = process.argv[1];
  const base = script ? [process.execPath, ...process.execArgv, script] : ['dbrs'];
  const config = ctx.str('config');
  return [...base.map(shq), ...words, ...(config ? ['--config', shq(config)] : [])].join(' ');
}

/** `dbrs wal setup [--apply]`: the archive settings this CLI needs, and (as a superuser) ALTER SYSTEM them. */
export async function walSetup(ctx: CommandContext): Promise<number> {
  const { suite } = await open(ctx);
  await using _ = suite;
  const wanted: Record<string, string> = {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_command: selfCommand(ctx, ['wal', 'push', '"%p"']),
    archive_timeout: ctx.str('archive-timeout') ?? '60',
  };
  const current = await suite.database.query<{ name: string; setting: string; context: string }>(
    'SELECT name, setting, context FROM pg_settings WHERE name = ANY($1::text[])',
    [Object.keys(wanted)],
    { signal: ctx.signal },
  );
  const now = new Map(current.rows.map((r) => [r.name, r]));
  const rows = Object.entries(wanted).map(([name, value]) => ({
    name,
    current: now.get(name)?.setting ?? '',
    wanted: value,
    ok: normal(now.get(name)?.setting) === normal(value) ? 'yes' : 'no',
    needs: now.get(name)?.context === 'postmaster' ? 'restart' : 'reload',
  }));
  let applied: string[] = [];
  if (ctx.values['apply'] === true) {
    const su = await suite.database.query<{ su: boolean }>(
      'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user',
    );
    if (!su.rows[0]?.su) {
      throw new DbrsError('PERMISSION_DENIED', 'wal setup --apply needs a superuser (ALTER SYSTEM).', {
        hint: 'Connect as a superuser, or put the printed settings into postgresql.conf yourself.',
      });
    }
    for (const r of rows.filter((x) => x.ok === 'no')) {
      // ALTER SYSTEM takes no parameters: the value is a quoted literal.
      await suite.database.query(`ALTER SYSTEM SET ${r.name} = '${r.wanted.replaceAll("'", "''")}'`, [], {
        signal: ctx.signal,
      });
      applied.push(r.name);
    }
    if (applied.length) await suite.database.query('SELECT pg_reload_conf()');
  }
  applied = applied.sort();
  const restart = rows.some((r) => applied.includes(r.name) && r.needs === 'restart');
  ctx.print(
    `${formatTable(rows)}${applied.length ? `\nApplied: ${applied.join(', ')}${restart ? ' (restart PostgreSQL for archive_mode / wal_level)' : ''}` : ''}`,
    { settings: rows, applied, restartNeeded: restart },
  );
  return EXIT.OK;
}

function normal(v: string | undefined): string {
  return (v ?? '').trim().replace(/^'|'$/g, '');
}

/** `dbrs wal status`: pg_stat_archiver (failures, last archived, lag) and the archive's recovery window. */
export async function walStatus(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const r = await suite.database.query<{
    archived: string;
    failed: string;
    last_archived: string | null;
    last_archived_at: Date | null;
    last_failed: string | null;
    last_failed_at: Date | null;
    current: string | null;
    lag_s: number | null;
    mode: string;
  }>(
    `SELECT archived_count::text AS archived, failed_count::text AS failed,
            last_archived_wal AS last_archived, last_archived_time AS last_archived_at,
            last_failed_wal AS last_failed, last_failed_time AS last_failed_at,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS current,
            extract(epoch FROM now() - last_archived_time)::float8 AS lag_s,
            current_setting('archive_mode') AS mode
       FROM pg_stat_archiver`,
    [],
    { signal: ctx.signal },
  );
  const s = r.rows[0]!;
  const window = await backups.getRecoveryWindow({ signal: ctx.signal });
  const failing = s.last_failed_at !== null && (s.last_archived_at === null || s.last_failed_at > s.last_archived_at);
  const out = {
    archiveMode: s.mode,
    archivedCount: Number(s.archived),
    failedCount: Number(s.failed),
    lastArchivedWal: s.last_archived,
    lastArchivedAt: s.last_archived_at?.toISOString() ?? null,
    lastFailedWal: s.last_failed,
    lastFailedAt: s.last_failed_at?.toISOString() ?? null,
    failing,
    currentWal: s.current,
    lagSeconds: s.lag_s === null ? null : Math.round(s.lag_s),
    window: {
      earliest: window.earliest?.toISOString() ?? null,
      latest: window.latest?.toISOString() ?? null,
      seconds: Math.round(window.windowSeconds),
      gaps: window.gaps,
      conflicts: window.conflicts,
    },
  };
  ctx.print(
    formatFields({
      ...out,
      window: undefined,
      gaps: window.gaps.length,
      windowEarliest: out.window.earliest,
      windowLatest: out.window.latest,
    }),
    out,
  );
  return s.mode === 'off' || failing || window.gaps.length > 0 ? EXIT.UNHEALTHY : EXIT.OK;
}

/** `dbrs wal verify`: continuity of the archive from each retained physical base backup (exit 1 on a gap). */
export async function walVerify(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const v = await backups.verifyWal({ signal: ctx.signal });
  const rows = v.backups.map((b) => ({
    backupId: b.backupId,
    from: b.from.toISOString(),
    to: b.to?.toISOString() ?? '',
    timeline: b.timeline,
    lastSegment: b.lastSegment ?? '',
    gaps: b.gaps.map((g) => (g.from === g.to ? g.from : `${g.from}..${g.to}`)).join(' '),
  }));
  ctx.print(
    `${rows.length ? formatTable(rows) : 'No physical base backup: nothing to recover from.'}\n${v.ok ? 'WAL archive is continuous.' : `WAL archive NOT continuous: ${v.gaps.length} gap(s)${v.unreachable.length ? `, ${v.unreachable.length} backup(s) without their end segment archived` : ''}.`}`,
    { ok: v.ok, gaps: v.gaps, unreachable: v.unreachable, backups: rows },
  );
  return v.ok ? EXIT.OK : EXIT.FAILURE;
}

/** `dbrs wal restore-point NAME`: pg_create_restore_point, recorded so restores can find it. */
export async function walRestorePoint(ctx: CommandContext): Promise<number> {
  const name = ctx.positionals[0];
  if (!name) throw new UsageError('wal restore-point needs a name');
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const p = await backups.createRestorePoint(name, { signal: ctx.signal });
  ctx.print(formatFields({ ...p }), p);
  return EXIT.OK;
}
