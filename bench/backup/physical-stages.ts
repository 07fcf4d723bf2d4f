// Where a physical createBackup's time goes, stage by stage with the raw commands it runs, beside
// pgBackRest's full backup of the same database, interleaved in one run (the target is ≤ 0.9× pgBackRest).
//
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/physical-stages.ts [--scale 250] [--rounds 2]      (as root: PostgreSQL runs as postgres)
//
// Stages of createBackup physical (packages/backup/src/dump/physical.ts): exact row counts of every
// table (count(*), one full read), then pg_basebackup -Ft -X stream --compress=client-zstd:level=3
// into a temp dir, then each file streamed through encryption into storage. The alternatives measured
// are what pg_basebackup itself offers: zstd with 2 worker threads, on the client or on the server.
// Writes physical-stages.json and renders RESULTS.md (results-md.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, coreDist, dirBytes, HERE, runChild, testingDist } from './common.ts';
import { writeResultsMd } from './results-md.ts';

const asPg = (cmd: string, args: string[]) => {
  const t = performance.now();
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return performance.now() - t;
};

async function main(): Promise<void> {
  const scale = Number(arg('scale', '250'));
  const rounds = Number(arg('rounds', '2'));
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
      ]);
      const bytes = dirBytes(join(out, 'base'));
      rmSync(out, { recursive: true, force: true });
      return { ms, bytes };
    };
    const stages: Record<string, () => Promise<{ ms: number; bytes?: number }>> = {
      'row counts: count(*) of every table (createBackup does this first)': async () => {
        const t = performance.now();
        for (const table of tables) await db.query(`SELECT count(*) FROM ${table}`);
        return { ms: performance.now() - t };
      },
      'pg_basebackup --compress=client-zstd:level=3 (what createBackup runs)': async () =>
        basebackup('client-zstd:level=3'),
      'pg_basebackup --compress=client-zstd:level=3,workers=2': async () => basebackup('client-zstd:level=3,workers=2'),
      'pg_basebackup --compress=server-zstd:level=3,workers=2': async () => basebackup('server-zstd:level=3,workers=2'),
      'createBackup physical, whole (row counts + pg_basebackup + encrypt + store)': async () => {
        const store = join(work, 'store');
        const r = runChild('backup', {
          url: server.url,
          store,
          config: { backupType: 'physical', encryptionKey: 'bench passphrase 1' },
        });
        rmSync(store, { recursive: true, force: true });
        return { ms: r['ms'] as number, bytes: r['storedBytes'] as number };
      },
      'pgbackrest full (zst, process-max=2)': async () => {
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
