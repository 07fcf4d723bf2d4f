// Incremental against full physical backups of the same PostgreSQL 17 database, side by side in one
// run: after a full backup, ~1 % of the bookings rows are updated, then createBackup({ incremental })
// and a second full createBackup are taken, interleaved; then both are restored into a directory
// (the incremental through pg_combinebackup of its chain). Stored bytes and wall times, per round.
//
//   bash scripts/install-pg17-client.sh
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/incremental.ts [--scale 50] [--rounds 2]      (as root: PostgreSQL runs as postgres)
//
// Writes incremental-results.json and INCREMENTAL.md next to this file.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, backupDist, coreDist, dirBytes, HERE, mb, s, testingDist } from './common.ts';

const PG17_BIN = process.env['DBRS_PG17_BIN'] ?? '/opt/dbrs-pg17/bin';

interface Round {
  fullMs: number;
  fullStoredBytes: number;
  incrementalMs: number;
  incrementalStoredBytes: number;
  restoreFullMs: number;
  restoreIncrementalMs: number;
  restoredBytes: number;
}

async function main(): Promise<void> {
  const scale = Number(arg('scale', '50'));
  const rounds = Number(arg('rounds', '2'));
  const loadStart = loadavg();
  const { startPostgres, createTestDatabase, loadHotelWorkload } = await import(testingDist);
  const { createDatabase } = await import(coreDist);
  const { DatabaseBackupManager, LocalStorage } = await import(backupDist);
  const work = mkdtempSync(join(tmpdir(), 'vhbk-incrbench-'));
  chmodSync(work, 0o755);
  const server = await startPostgres({ source: 'embedded', major: 17, settings: { summarize_wal: 'on' } });
  try {
    const tdb = await createTestDatabase(server);
    await loadHotelWorkload(tdb.url, { scale, seed: 1 });
    const db = createDatabase(tdb.url, { poolMax: 2 });
    await db.query('VACUUM ANALYZE');
    const databaseBytes = Number(
      (await db.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n,
    );
    const bookings = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM bookings')).rows[0]!.n);
    const mgr = new DatabaseBackupManager(db, {
      storage: new LocalStorage({ path: join(work, 'store') }),
      backupType: 'physical',
      binDir: PG17_BIN,
      encryptionKey: 'incremental-bench-passphrase',
      scryptLogN: 15,
    });
    const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t = performance.now();
      const r = await fn();
      return [r, performance.now() - t];
    };
    const restore = async (id: string): Promise<[number, number]> => {
      const dir = join(work, `restore-${id}`);
      const [, ms] = await timed(() => mgr.restoreBackup(id, { targetDirectory: dir }));
      const bytes = dirBytes(dir);
      rmSync(dir, { recursive: true, force: true });
      return [ms, bytes];
    };
    const all: Round[] = [];
    await mgr.createBackup(); // the first parent, not measured
    for (let r = 0; r < rounds; r++) {
      // ~1 % of the bookings rows changed since the newest backup (status rewritten to itself: new tuples).
      await db.query(`UPDATE bookings SET status = status WHERE id % 100 = ${r}`);
      const [incr, incrementalMs] = await timed(() => mgr.createBackup(undefined, { incremental: true }));
      if (!incr.manifest.incremental) throw new Error('the incremental request took a full backup');
      const [full, fullMs] = await timed(() => mgr.createBackup());
      // Both restored from the same state; the incremental's parent is the newest backup before it (a full one).
      const [restoreIncrementalMs, restoredBytes] = await restore(incr.backupId);
      const [restoreFullMs] = await restore(full.backupId);
      all.push({
        fullMs,
        fullStoredBytes: full.storedBytes,
        incrementalMs,
        incrementalStoredBytes: incr.storedBytes,
        restoreFullMs,
        restoreIncrementalMs,
        restoredBytes,
      });
      console.error(`round ${r + 1}: ${JSON.stringify(all.at(-1))}`);
    }
    await mgr.close();
    await db.close();
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      load: { start: loadStart, end: loadavg() },
      postgres: server.version.text,
      tools: PG17_BIN,
      scale,
      databaseBytes,
      bookingsRows: bookings,
      changedPerRound: 'UPDATE bookings SET status = status WHERE id % 100 = round (~1 % of bookings)',
      rounds: all,
    };
    writeFileSync(join(HERE, 'incremental-results.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(HERE, 'INCREMENTAL.md'), render(result));
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function render(r: {
  date: string;
  machine: { cpus: number; cpuModel?: string; node: string };
  load: { start: number[]; end: number[] };
  postgres: string;
  databaseBytes: number;
  bookingsRows: number;
  changedPerRound: string;
  rounds: Round[];
}): string {
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const lines = [
    '# Incremental against full physical backups (PostgreSQL 17)',
    '',
    `Run ${r.date} on ${r.machine.cpus} cores (${r.machine.cpuModel}), Node ${r.machine.node}, ${r.postgres} (embedded), client tools 17 from scripts/install-pg17-client.sh; load ${r.load.start.map((x) => x.toFixed(1)).join(' / ')} at start, ${r.load.end.map((x) => x.toFixed(1)).join(' / ')} at end.`,
    `Database ${mb(r.databaseBytes)} MB (hotel workload), ${r.bookingsRows} bookings; between backups: ${r.changedPerRound}.`,
    'Each round: the change, then createBackup({ incremental: true }) and a full createBackup of the same state, then restoreBackup of each into a directory (the incremental: its chain, extracted and combined by pg_combinebackup). zstd + AES-256-GCM, local storage.',
    '',
    '| round | full backup | incremental | incr/full time | full stored | incremental stored | incr/full bytes | restore full | restore incremental (chain of 2) | incr/full restore |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rounds.map(
      (x, i) =>
        `| ${i + 1} | ${s(x.fullMs)} s | ${s(x.incrementalMs)} s | ${ratio(x.incrementalMs, x.fullMs)} | ${mb(x.fullStoredBytes)} MB | ${mb(x.incrementalStoredBytes)} MB | ${ratio(x.incrementalStoredBytes, x.fullStoredBytes)} | ${s(x.restoreFullMs)} s | ${s(x.restoreIncrementalMs)} s | ${ratio(x.restoreIncrementalMs, x.restoreFullMs)} |`,
    ),
    '',
    "Each incremental's parent is the newest backup before it: the unmeasured first full backup in round 1, the previous round's full backup after that; so each restore of an incremental combines a chain of two.",
    '',
  ];
  return lines.join('\n');
}

await main();
