// Where a physical createBackup's time goes, stage by stage with the raw commands it runs, beside
// pgBackRest's full backup of the same database, interleaved in one run (the target is ≤ 0.9× pgBackRest).
//
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/physical-stages.ts [--scale 250] [--rounds 3]      (as root: PostgreSQL runs as postgres)
//
// Stages of createBackup physical (packages/backup/src/dump/physical.ts): exact row counts of every
// table (count(*), one full read), then pg_basebackup -Ft -X stream --compress=client-zstd:level=3
// --no-sync into a temp dir, its base tar encrypted and stored while it is written, then pg_wal.tar
// and backup_manifest. Also measured: pg_basebackup alone as createBackup runs it, and createBackup
// with rowCounts: false, to show what the counts cost.
// Writes physical-stages.json and renders RESULTS.md (results-md.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, coreDist, dirBytes, HERE, runChild, testingDist } from './common.ts';
import { STAGE, writeResultsMd } from './results-md.ts';

const asPg = (cmd: string, args: string[]) => {
  const t = performance.now();
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return performance.now() - t;
};

async function main(): Promise<void> {
  const scale = Number(arg('scale', '250'));
  const rounds = Number(arg('rounds', '3'));
  const loadStart = loadavg();
  const { startPostgres, createTestDatabase, loadHotelWorkload } = await import(testingDist);
  const { createDatabase } = await import(coreDist);
  const work = mkdtempSync(join(tmpdir(), 'vhbk-physbench-'));
  chmodSync(work, 0o777);
  const server = await startPostgres({ settings: { archive_mode: 'on', archive_command: '/bin/true' } });
  try {
    const big = await createTestDatabase(server);
    await loadHotelWorkload(big.url, { scale, seed: 1 });
    const db = createDatabase(big.url, { poolMax: 1 });
    await db.query('VACUUM ANALYZE');
    const databaseBytes = Number(
      (await db.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n,
    );
    const tables = (
      await db.query<{ t: string }>(
        "SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables ORDER BY pg_relation_size(relid) DESC",
      )
    ).rows.map((r) => r.t);
    const repo = join(work, 'repo');
    mkdirSync(repo, { mode: 0o777 });
    chmodSync(repo, 0o777);
    const conf = join(work, 'pgbackrest.conf');
    writeFileSync(
      conf,
      `[global]\nrepo1-path=${repo}\nrepo1-retention-full=1\ncompress-type=zst\nprocess-max=2\nstart-fast=y\nlog-level-console=warn\nlog-path=${repo}\nlock-path=${repo}\narchive-check=n\n\n[bench]\npg1-path=${server.dataDir}\npg1-port=${server.port}\npg1-socket-path=${server.socketDir}\n`,
    );
    chmodSync(conf, 0o644);
    asPg('pgbackrest', [`--config=${conf}`, '--stanza=bench', 'stanza-create']);
    const basebackup = (compress: string) => {
      const out = join(work, 'bb');
      mkdirSync(out, { mode: 0o777 });
      chmodSync(out, 0o777);
      const conn = ['-h', server.socketDir, '-p', String(server.port), '-U', 'postgres'];
      const ms = asPg(join(server.binDir, 'pg_basebackup'), [
        ...conn,
        '-D',
        join(out, 'base'),
        '-Ft',
        '-X',
        'stream',
        '-c',
        'fast',
        `--compress=${compress}`,
        '--no-sync',
      ]);
      const bytes = dirBytes(join(out, 'base'));
      rmSync(out, { recursive: true, force: true });
      return { ms, bytes };
    };
    const wholeBackup = (config: Record<string, unknown>) => async () => {
      const store = join(work, 'store');
      const r = runChild('backup', {
        url: server.url,
        store,
        config: { backupType: 'physical', encryptionKey: 'bench passphrase 1', ...config },
      });
      rmSync(store, { recursive: true, force: true });
      return { ms: r['ms'] as number, bytes: r['storedBytes'] as number };
    };
    const stages: Record<string, () => Promise<{ ms: number; bytes?: number }>> = {
      [STAGE.counts]: async () => {
        const t = performance.now();
        for (const table of tables) await db.query(`SELECT count(*) FROM ${table}`);
        return { ms: performance.now() - t };
      },
      [STAGE.tool]: async () => basebackup('client-zstd:level=3'),
      [STAGE.whole]: wholeBackup({}),
      [STAGE.noCounts]: wholeBackup({ rowCounts: false }),
      [STAGE.pgbackrest]: async () => {
        const ms = asPg('pgbackrest', [`--config=${conf}`, '--stanza=bench', '--type=full', 'backup']);
        const labels = readdirSync(join(repo, 'backup', 'bench')).filter((n) => /F$/.test(n));
        return { ms, bytes: dirBytes(join(repo, 'backup', 'bench', labels.sort().at(-1)!)) };
      },
    };
    const runs: Array<{ stage: string; round: number; ms: number; bytes?: number }> = [];
    const names = Object.keys(stages);
    for (let round = 1; round <= rounds; round++) {
      for (const stage of round % 2 ? names : [...names].reverse()) {
        const r = await stages[stage]!();
        runs.push({ stage, round, ...r });
        console.error(JSON.stringify(runs.at(-1)));
      }
    }
    await db.close();
    const result = {
      at: new Date().toISOString(),
      cores: cpus().length,
      node: process.version,
      postgres: server.version.text,
      scale,
      databaseBytes,
      rounds,
      loadStart,
      loadEnd: loadavg(),
      stages: names,
      runs,
    };
    writeFileSync(join(HERE, 'physical-stages.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeResultsMd();
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
