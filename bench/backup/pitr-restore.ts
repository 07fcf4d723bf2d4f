// Point-in-time restore: recovery time (RTO) per GB of base backup and WAL replay rate, ours against the
// raw tools and pgBackRest, side by side in one run on one cluster.
//
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/pitr-restore.ts [--scale 250] [--wal-mb 480] [--rounds 2]     (as root: PostgreSQL runs as postgres)
//
// One PostgreSQL 15 with the hotel workload, archive_command = cp into a raw WAL directory. Three base
// backups are taken one after the other (pgBackRest full zst, raw pg_basebackup -Ft, createBackup
// physical zstd + AES-256-GCM), then --wal-mb of WAL is written (updates and numbered marker rows) and a
// target LSN is recorded; marker rows written after it must not be restored. The archived segments
// are pushed into our storage (archiveWal, zstd + AES) and into pgBackRest's repository (archive-push).
// Each method then restores to that LSN and replays until paused there, and the marker rows at the
// target are counted:
//   raw:        tar -xf base.tar + restore_command 'cp …' + postgres
//   pgBackRest: pgbackrest restore --type=lsn (restore_command = pgbackrest archive-get) + postgres
//   dbrs:       restoreBackup(id, { targetDirectory, recoveryTarget: { lsn }, start: true }) in a child process
// Writes pitr-results.json and renders RESULTS.md (results-md.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, backupDist, coreDist, HERE, type Json, runChild, testingDist } from './common.ts';
import { type PitrRun, writeResultsMd } from './results-md.ts';

const KEY = 'bench passphrase 1';
const COUNT_SQL = 'SELECT count(*) AS n FROM bench_marks';

const asPg = (cmd: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A restored data directory started on a private socket, replaying; stopped with stop(). */
async function startRestored(bin: string, data: string, work: string) {
  const port = await freePort();
  const sock = mkdtempSync(join(work, 'sock-'));
  chmodSync(sock, 0o777);
  const log = join(sock, 'log');
  const opts = [
    `-c port=${port}`,
    "-c listen_addresses=''",
    `-c unix_socket_directories=${sock}`,
    '-c archive_mode=off',
    '-c hot_standby=on',
  ].join(' ');
  asPg(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '3600', 'start']);
  const psql = (q: string) =>
    asPg(join(bin, 'psql'), ['-h', sock, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qAtc', q]);
  return {
    /** Polls until replay is paused at the target; the LSN reached. */
    waitPaused(): string {
      const deadline = Date.now() + 3_600_000;
      for (;;) {
        try {
          const [state, lsn] = psql('SELECT pg_get_wal_replay_pause_state(), pg_last_wal_replay_lsn()')
            .trim()
            .split('|');
          if (state === 'paused') return lsn!;
        } catch {
          // starting up, or failed (the log says)
        }
        if (Date.now() > deadline)
          throw new Error(`never paused at the target: ${readFileSync(log, 'utf8').slice(-2000)}`);
        execFileSync('sleep', ['0.05']);
      }
    },
    count(database: string): number {
      return Number(
        asPg(join(bin, 'psql'), [
          '-h',
          sock,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-qAtc',
          COUNT_SQL,
        ]).trim(),
      );
    },
    stop(): void {
      spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(sock, { recursive: true, force: true });
    },
  };
}

/** An empty directory owned by postgres (as the tools that write into it run). */
function pgDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  execFileSync('chown', ['postgres:postgres', path]);
  chmodSync(path, 0o700);
  return path;
}

function backupLabelStart(data: string): string {
  return /START WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+)/.exec(readFileSync(join(data, 'backup_label'), 'utf8'))![1]!;
}

async function main(): Promise<void> {
  const scale = Number(arg('scale', '250'));
  const walMb = Number(arg('wal-mb', '480'));
  const rounds = Number(arg('rounds', '2'));
  const loadStart = loadavg();
  const { startPostgres, createTestDatabase, loadHotelWorkload } = await import(testingDist);
  const { createDatabase } = await import(coreDist);
  const { DatabaseBackupManager, LocalStorage } = await import(backupDist);
  const work = mkdtempSync(join(tmpdir(), 'vhbk-pitrbench-'));
  chmodSync(work, 0o777);
  const rawWal = join(work, 'raw-wal');
  mkdirSync(rawWal, { mode: 0o777 });
  chmodSync(rawWal, 0o777);
  const server = await startPostgres({
    settings: { archive_mode: 'on', archive_command: '/bin/true', max_wal_size: '4GB' },
  });
  const bin: string = server.binDir;
  const admin = createDatabase(server.url, { poolMax: 1 });
  const lsnDiff = async (a: string, b: string) =>
    Number((await admin.query('SELECT pg_wal_lsn_diff($1, $2)::bigint AS n', [a, b])).rows[0].n);
  const currentLsn = async () =>
    (await admin.query('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l as string;
  try {
    const big = await createTestDatabase(server);
    const load = await loadHotelWorkload(big.url, { scale, seed: 1 });
    const db = createDatabase(big.url, { poolMax: 1 });
    await db.query('VACUUM ANALYZE');
    await db.query('CREATE TABLE bench_marks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    const dbBytes = Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n);
    // Archive from here on only (the load's WAL is not needed by any backup).
    await admin.query(`ALTER SYSTEM SET archive_command = 'test ! -f ${rawWal}/%f && cp %p ${rawWal}/%f'`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.query('SELECT pg_switch_wal()');
    await admin.query('CHECKPOINT');
    console.error(`loaded ${Math.round(dbBytes / 1e6)} MB`);

    // --- base backups, one after the other
    const repo = join(work, 'pgbackrest-repo');
    mkdirSync(repo, { mode: 0o777 });
    chmodSync(repo, 0o777);
    const conf = join(work, 'pgbackrest.conf');
    writeFileSync(
      conf,
      `[global]\nrepo1-path=${repo}\ncompress-type=zst\nprocess-max=2\nstart-fast=y\nlog-level-console=warn\nlog-path=${repo}\nlock-path=${repo}\narchive-check=n\n\n[bench]\npg1-path=${server.dataDir}\npg1-port=${server.port}\npg1-socket-path=${server.socketDir}\n`,
    );
    chmodSync(conf, 0o644);
    const pgbr = (args: string[]) => asPg('pgbackrest', [`--config=${conf}`, '--stanza=bench', ...args]);
    pgbr(['stanza-create']);
    const firstLsn = await currentLsn();
    pgbr(['--type=full', 'backup']);
    const rawBase = pgDir(join(work, 'raw-base'));
    asPg(join(bin, 'pg_basebackup'), [
      '-h',
      server.socketDir,
      '-p',
      String(server.port),
      '-U',
      'postgres',
      '-D',
      rawBase,
      '-Ft',
      '-X',
      'none',
      '-c',
      'fast',
    ]);
    const store = join(work, 'store');
    const ours = runChild('backup', { url: server.url, store, config: { backupType: 'physical', encryptionKey: KEY } });
    const backupId = ours['backupId'] as string;
    const baseBytes = ours['sizeBytes'] as number;
    console.error(`base backups taken; ours ${backupId}, ${Math.round(baseBytes / 1e6)} MB`);

    // --- WAL after the backups: updates and numbered marker rows, then the target, then rows it must not hold
    const walFrom = await currentLsn();
    let marks = 0;
    while ((await lsnDiff(await currentLsn(), walFrom)) < walMb * 1e6) {
      await db.query('INSERT INTO bench_marks (id) VALUES ($1)', [++marks]);
      await db.query(`UPDATE bookings SET updated_at = clock_timestamp() WHERE id % 5 = $1`, [marks % 5]);
    }
    await db.query('INSERT INTO bench_marks (id) VALUES ($1)', [++marks]);
    const targetLsn = await currentLsn();
    const walAfterBackups = await lsnDiff(targetLsn, walFrom);
    for (let i = 1; i <= 3; i++) await db.query('INSERT INTO bench_marks (id) VALUES ($1)', [marks + i]);
    const targetSegment = (await admin.query('SELECT pg_walfile_name($1) AS n', [targetLsn])).rows[0].n as string;
    await admin.query('SELECT pg_switch_wal()');
    for (let i = 0; ; i++) {
      const last = (await admin.query('SELECT last_archived_wal AS l FROM pg_stat_archiver')).rows[0].l as
        | string
        | null;
      if (last && last.slice(0, 24) >= targetSegment) break;
      if (i > 1200) {
        const st = (await admin.query('SELECT * FROM pg_stat_archiver')).rows[0];
        throw new Error(`${targetSegment} not archived: ${JSON.stringify(st)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await db.close();

    // --- the archived WAL into our storage and pgBackRest's repository (not measured: wal-archive.ts is that bench)
    const firstSegment = (await admin.query('SELECT pg_walfile_name($1) AS n', [firstLsn])).rows[0].n as string;
    const segments = readdirSync(rawWal)
      .filter((n) => /^[0-9A-F]{24}$/.test(n) && n >= firstSegment)
      .sort();
    const mgr = new DatabaseBackupManager(server.url, {
      storage: new LocalStorage({ path: store }),
      encryptionKey: KEY,
    });
    for (const seg of segments) {
      await mgr.archiveWal(join(rawWal, seg));
      pgbr(['archive-push', join(rawWal, seg)]);
    }
    await mgr.close();
    console.error(`${segments.length} segments archived; target ${targetLsn}, ${marks} marker rows`);

    // --- restores, interleaved by round
    const runs: PitrRun[] = [];
    const extra: Json[] = [];
    const methods: Record<string, (round: number) => Promise<PitrRun>> = {
      raw: async (round) => {
        const data = pgDir(join(work, `raw-${round}`));
        const t0 = performance.now();
        asPg('tar', ['-xf', join(rawBase, 'base.tar'), '-C', data]);
        appendFileSync(
          join(data, 'postgresql.auto.conf'),
          `\nrestore_command = 'cp ${rawWal}/%f %p'\nrecovery_target_lsn = '${targetLsn}'\nrecovery_target_action = 'pause'\n`,
        );
        writeFileSync(join(data, 'recovery.signal'), '');
        execFileSync('chown', ['postgres:postgres', join(data, 'postgresql.auto.conf'), join(data, 'recovery.signal')]);
        const t1 = performance.now();
        return replay('raw', round, data, t0, t1);
      },
      pgbackrest: async (round) => {
        const data = pgDir(join(work, `pgbr-${round}`));
        const t0 = performance.now();
        pgbr([`--pg1-path=${data}`, '--type=lsn', `--target=${targetLsn}`, '--target-action=pause', 'restore']);
        const t1 = performance.now();
        return replay('pgbackrest', round, data, t0, t1);
      },
      dbrs: async (round) => {
        const parent = join(work, `dbrs-${round}`);
        mkdirSync(parent, { mode: 0o755 });
        chmodSync(parent, 0o755);
        const r = runChild('pitr', {
          url: server.url,
          store,
          config: { encryptionKey: KEY },
          backupId,
          targetDirectory: join(parent, 'data'),
          lsn: targetLsn,
          database: big.name,
          countSql: COUNT_SQL,
        });
        const pit = r['pointInTime'] as { recoveryMs: number; replayMs: number; reached: { lsn: string } };
        const manifest = JSON.parse(
          readFileSync(join(store, encodeURIComponent('postgres'), backupId, 'manifest.json'), 'utf8'),
        );
        extra.push({
          method: 'dbrs',
          round,
          wallMs: Math.round(r['ms'] as number),
          maxRssMb: Math.round(r['maxRssMb'] as number),
          walFilesFetched: (r['pointInTime'] as Json)['walFilesFetched'],
        });
        rmSync(parent, { recursive: true, force: true });
        return {
          method: 'dbrs',
          round,
          totalMs: pit.recoveryMs,
          layoutMs: pit.recoveryMs - pit.replayMs,
          replayMs: pit.replayMs,
          walBytes: await lsnDiff(targetLsn, manifest.wal.startLsn),
          reachedLsn: pit.reached.lsn,
          rowsAtTarget: r['rowsAtTarget'] as number,
        };
      },
    };
    const replay = async (method: string, round: number, data: string, t0: number, t1: number): Promise<PitrRun> => {
      const startLsn = backupLabelStart(data);
      const srv = await startRestored(bin, data, work);
      try {
        const reachedLsn = srv.waitPaused();
        const t2 = performance.now();
        return {
          method,
          round,
          totalMs: t2 - t0,
          layoutMs: t1 - t0,
          replayMs: t2 - t1,
          walBytes: await lsnDiff(targetLsn, startLsn),
          reachedLsn,
          rowsAtTarget: srv.count(big.name),
        };
      } finally {
        srv.stop();
        rmSync(data, { recursive: true, force: true });
      }
    };
    const order = ['raw', 'pgbackrest', 'dbrs'];
    for (let round = 1; round <= rounds; round++) {
      for (const m of round % 2 ? order : [...order].reverse()) {
        const run = await methods[m]!(round);
        if (run.rowsAtTarget !== marks)
          throw new Error(`${m} restored ${run.rowsAtTarget} marker rows, expected ${marks}`);
        runs.push(run);
        console.error(JSON.stringify(run));
      }
    }
    const result = {
      at: new Date().toISOString(),
      cores: cpus().length,
      node: process.version,
      postgres: server.version.text,
      scale,
      dbBytes,
      loadRows: load.rows,
      baseBytes,
      walAfterBackups,
      segmentsArchived: segments.length,
      targetLsn,
      markerRows: marks,
      rounds,
      loadStart,
      loadEnd: loadavg(),
      methods: [
        { key: 'raw', label: 'raw: `tar -xf` of an uncompressed `pg_basebackup -Ft` + `cp` restore_command' },
        { key: 'pgbackrest', label: 'pgBackRest 2.45: `restore --type=lsn` (zst repo, archive-get)' },
        {
          key: 'dbrs',
          label:
            'dbrs: `restoreBackup(id, { recoveryTarget: { lsn }, start: true })` (zstd + AES-256-GCM, fetch bridge)',
        },
      ],
      runs,
      dbrsExtra: extra,
      notes: [] as string[],
    };
    writeFileSync(join(HERE, 'pitr-results.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeResultsMd();
  } finally {
    await admin.close().catch(() => {});
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
