// Backup benchmark for @voicehive/db-backup: createBackup / restoreBackup against
// the raw tools and a physical backup against pgBackRest, on the hotel workload.
//
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/run.ts [--scale 250] [--small-scale 25] [--skip-physical]
//
// Writes results.json and RESULTS.md next to this file. Every measured Node
// operation runs in a child process of its own so its peak RSS (maxRSS) is its
// own, not the loader's.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const backupDist = join(ROOT, 'packages/backup/dist/index.js');
const coreDist = join(ROOT, 'packages/core/dist/index.js');
const testingDist = join(ROOT, 'packages/testing/dist/index.js');

type Json = Record<string, unknown>;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

// ---------------------------------------------------------------- child modes
async function child(mode: string, payload: Json): Promise<void> {
  const { DatabaseBackupManager, LocalStorage } = await import(backupDist);
  const storage = new LocalStorage({ path: payload['store'] as string });
  const mgr = new DatabaseBackupManager(payload['url'] as string, { storage, ...(payload['config'] as Json) });
  const started = performance.now();
  let out: Json = {};
  if (mode === 'backup') {
    const res = await mgr.createBackup(undefined, (payload['options'] as Json) ?? {});
    out = { backupId: res.backupId, sizeBytes: res.sizeBytes, storedBytes: res.storedBytes };
  } else if (mode === 'restore') {
    await mgr.restoreBackup(payload['backupId'] as string, {
      targetDatabase: payload['target'] as string,
      jobs: payload['jobs'] as number,
    });
  } else if (mode === 'verify') {
    out = { ...(await mgr.verifyBackup(payload['backupId'] as string, { level: payload['level'] as 1 | 2 | 3 })) };
  }
  const ms = performance.now() - started;
  await mgr.close();
  process.stdout.write(`${JSON.stringify({ ...out, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function runChild(mode: string, payload: Json): Json {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, JSON.stringify(payload)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + dirBytes(join(p, f)), 0);
}

const mb = (b: number) => Math.round((b / 1e6) * 10) / 10;
const s = (ms: number) => Math.round(ms / 10) / 100;

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const scale = Number(arg('scale', '250'));
  const smallScale = Number(arg('small-scale', '25'));
  const skipPhysical = process.argv.includes('--skip-physical');
  // Each measurement runs this many times, interleaved, and the fastest counts: on a shared
  // machine the fastest run is the one least disturbed by other load.
  const rounds = Number(arg('rounds', '2'));
  const { startPostgres, createTestDatabase, loadHotelWorkload } = await import(testingDist);
  const { createDatabase } = await import(coreDist);
  const work = mkdtempSync(join(tmpdir(), 'vhbk-bench-'));
  chmodSync(work, 0o777);
  const results: Json = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
  };
  const server = await startPostgres({
    settings: skipPhysical ? {} : { archive_mode: 'on', archive_command: '/bin/true' },
  });
  results['postgres'] = server.version.text;
  results['rounds'] = rounds;
  results['loadAverageAtStart'] = loadavg();
  const env = { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'postgres' };
  try {
    // --- RSS at a small size first
    const small = await createTestDatabase(server);
    const smallLoad = await loadHotelWorkload(small.url, { scale: smallScale, seed: 1 });
    const smallBackup = runChild('backup', {
      url: small.url,
      store: join(work, 'store-small'),
      config: { encryptionKey: 'bench passphrase 1' },
    });
    results['small'] = {
      scale: smallScale,
      dbBytes: smallLoad.bytes,
      loadMs: smallLoad.durationMs,
      createBackup: smallBackup,
    };
    await small.drop();
    console.error(`small: ${JSON.stringify(results['small'])}`);

    // --- the big database
    const big = await createTestDatabase(server);
    const t0 = performance.now();
    const load = await loadHotelWorkload(big.url, { scale, seed: 1 });
    results['load'] = { scale, dbBytes: load.bytes, ms: performance.now() - t0, rows: load.rows };
    console.error(`loaded ${mb(load.bytes)} MB in ${s(performance.now() - t0)} s`);
    await (async () => {
      const db = createDatabase(big.url, { poolMax: 1 });
      await db.query('VACUUM ANALYZE');
      results['databaseSizeBytes'] = Number(
        (await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n,
      );
      await db.close();
    })();
    const benv = { ...env, PGDATABASE: big.name };
    const logical: Json = {};
    // Warm the cache once so the first measured command does not pay for cold reads alone.
    timed('pg_dump', ['-Fc', '-Z0', '-f', join(work, 'warm.dump')], benv);
    rmSync(join(work, 'warm.dump'));
    const rawFc = join(work, 'raw.dump');
    const rawZ0 = join(work, 'raw-z0.dump');
    const variants: Array<[string, Json]> = [
      ['createBackup default (zstd program -3 fed by pg_dump + AES-256-GCM)', { encryptionKey: 'bench passphrase 1' }],
      ['createBackup node zstd -3 + AES-256-GCM', { encryptionKey: 'bench passphrase 1', zstdProgram: false }],
      [
        'createBackup gzip -1 + AES-256-GCM',
        { encryptionKey: 'bench passphrase 1', compression: 'gzip', compressionLevel: 1 },
      ],
      [
        'createBackup gzip -6 + AES-256-GCM',
        { encryptionKey: 'bench passphrase 1', compression: 'gzip', compressionLevel: 6 },
      ],
      ['createBackup none + AES-256-GCM', { encryptionKey: 'bench passphrase 1', compression: 'none' }],
    ];
    const keepFastest = (name: string, m: Json & { ms: number }) => {
      const prev = logical[name] as { ms: number; all: number[] } | undefined;
      const all = [...(prev?.all ?? []), Math.round(m.ms)];
      logical[name] = !prev || m.ms < prev.ms ? { ...m, all } : { ...prev, all };
    };
    let defaultId = '';
    for (let round = 0; round < rounds; round++) {
      keepFastest('pg_dump -Fc (default gzip 6)', {
        ms: timed('pg_dump', ['-Fc', '-f', rawFc], benv),
        bytes: statSync(rawFc).size,
      });
      keepFastest('pg_dump -Fc -Z0 (floor)', {
        ms: timed('pg_dump', ['-Fc', '-Z0', '-f', rawZ0], benv),
        bytes: statSync(rawZ0).size,
      });
      rmSync(rawZ0);
      for (const [i, [name, config]] of variants.entries()) {
        const store = join(work, `store-${round}-${i}`);
        const r = runChild('backup', { url: big.url, store, config });
        keepFastest(name, {
          ms: r['ms'] as number,
          bytes: r['storedBytes'],
          rawBytes: r['sizeBytes'],
          maxRssMb: r['maxRssMb'],
        });
        if (round === 0 && i === 0) {
          defaultId = r['backupId'] as string;
          results['defaultStore'] = store;
        } else rmSync(store, { recursive: true, force: true });
        console.error(`${name}: ${JSON.stringify(logical[name])}`);
      }
    }
    results['logical'] = logical;

    // --- restore
    const restore: Json = {};
    const createDb = (n: string) =>
      execFileSync('psql', ['-qc', `CREATE DATABASE "${n}"`], { env: { ...env, PGDATABASE: 'postgres' } });
    const dropDb = (n: string) =>
      execFileSync('psql', ['-qc', `DROP DATABASE "${n}" WITH (FORCE)`], { env: { ...env, PGDATABASE: 'postgres' } });
    for (let round = 0; round < rounds; round++) {
      createDb('bench_raw_restore');
      const rawMs = timed('pg_restore', ['-d', 'bench_raw_restore', rawFc], env);
      dropDb('bench_raw_restore');
      const r1 = runChild('restore', {
        url: big.url,
        store: results['defaultStore'],
        backupId: defaultId,
        target: 'bench_restore',
        jobs: 1,
        config: { encryptionKey: 'bench passphrase 1' },
      });
      dropDb('bench_restore');
      const a = restore['pg_restore (raw, from the -Fc file)'] as { ms: number; all: number[] } | undefined;
      restore['pg_restore (raw, from the -Fc file)'] = {
        ms: Math.min(a?.ms ?? Infinity, rawMs),
        all: [...(a?.all ?? []), Math.round(rawMs)],
      };
      const b = restore['restoreBackup (stream, jobs 1)'] as
        | { ms: number; all: number[]; maxRssMb: number }
        | undefined;
      restore['restoreBackup (stream, jobs 1)'] = {
        ms: Math.min(b?.ms ?? Infinity, r1['ms'] as number),
        all: [...(b?.all ?? []), Math.round(r1['ms'] as number)],
        maxRssMb: Math.max(b?.maxRssMb ?? 0, r1['maxRssMb'] as number),
      };
    }
    results['restore'] = restore;
    console.error(`restore: ${JSON.stringify(restore)}`);
    const v3 = runChild('verify', {
      url: big.url,
      store: results['defaultStore'],
      backupId: defaultId,
      level: 1,
      config: { encryptionKey: 'bench passphrase 1' },
    });
    results['verifyLevel1'] = { ms: v3['ms'], maxRssMb: v3['maxRssMb'], ok: v3['ok'] };
    rmSync(rawFc);

    // --- physical
    if (!skipPhysical && server.dataDir && server.socketDir) {
      const physical: Json = {};
      const store = join(work, 'store-physical');
      const r = runChild('backup', {
        url: server.url,
        store,
        config: { backupType: 'physical', encryptionKey: 'bench passphrase 1' },
      });
      physical['createBackup PHYSICAL (pg_basebackup client-zstd + AES-256-GCM)'] = {
        ms: r['ms'],
        bytes: r['storedBytes'],
        rawBytes: r['sizeBytes'],
        maxRssMb: r['maxRssMb'],
      };
      rmSync(store, { recursive: true, force: true });
      const repo = join(work, 'pgbackrest-repo');
      mkdirSync(repo, { recursive: true });
      chmodSync(repo, 0o777);
      const conf = join(work, 'pgbackrest.conf');
      writeFileSync(
        conf,
        `[global]\nrepo1-path=${repo}\ncompress-type=zst\nprocess-max=2\nstart-fast=y\nlog-level-console=warn\nlog-path=${repo}\nlock-path=${repo}\n\n[bench]\npg1-path=${server.dataDir}\npg1-port=${server.port}\npg1-socket-path=${server.socketDir}\n`,
      );
      chmodSync(conf, 0o644);
      const asPg = (args: string[]) =>
        timed('runuser', ['-u', 'postgres', '--', 'pgbackrest', `--config=${conf}`, '--stanza=bench', ...args]);
      asPg(['stanza-create']);
      const ms = asPg(['--type=full', '--no-archive-check', 'backup']);
      physical['pgbackrest full (zst, process-max=2)'] = { ms, bytes: dirBytes(join(repo, 'backup')) };
      results['physical'] = physical;
      results['clusterBytes'] = dirBytes(server.dataDir);
      console.error(`physical: ${JSON.stringify(physical)}`);
    }
    await big.drop();
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  delete results['defaultStore'];
  results['loadAverageAtEnd'] = loadavg();
  writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(HERE, 'RESULTS.md'), markdown(results));
}

function markdown(r: Json): string {
  const logical = r['logical'] as Record<string, { ms: number; bytes: number; maxRssMb?: number }>;
  const fc = logical['pg_dump -Fc (default gzip 6)']!;
  const lines = [
    '# Backup benchmark results',
    '',
    `Run ${r['date']} on ${(r['machine'] as Json)['cpus']} cores (${(r['machine'] as Json)['cpuModel']}), Node ${(r['machine'] as Json)['node']}, ${r['postgres']}.`,
    `Hotel workload scale ${(r['load'] as Json)['scale']}: database ${mb(r['databaseSizeBytes'] as number)} MB. Reproduce with \`node bench/backup/run.ts\` (see the header of run.ts).`,
    `Each logical/restore line is the fastest of ${r['rounds']} interleaved runs (all runs in results.json); load average at start ${(r['loadAverageAtStart'] as number[]).map((x) => x.toFixed(1)).join(' / ')}, at end ${(r['loadAverageAtEnd'] as number[]).map((x) => x.toFixed(1)).join(' / ')} (the machine is shared; other load inflates every line).`,
    '',
    '## Logical backup',
    '',
    '| command | time (s) | size (MB) | × pg_dump -Fc time | peak RSS (MB) |',
    '|---|---|---|---|---|',
    ...Object.entries(logical).map(
      ([k, v]) =>
        `| ${k} | ${s(v.ms)} | ${mb(v.bytes)} | ${(v.ms / fc.ms).toFixed(2)} | ${v.maxRssMb ? Math.round(v.maxRssMb) : '–'} |`,
    ),
    '',
    '## Restore',
    '',
    '| command | time (s) | × raw pg_restore | peak RSS (MB) |',
    '|---|---|---|---|',
  ];
  const restore = r['restore'] as Record<string, { ms: number; maxRssMb?: number }>;
  const raw = restore['pg_restore (raw, from the -Fc file)']!;
  for (const [k, v] of Object.entries(restore))
    lines.push(`| ${k} | ${s(v.ms)} | ${(v.ms / raw.ms).toFixed(2)} | ${v.maxRssMb ? Math.round(v.maxRssMb) : '–'} |`);
  const small = r['small'] as Json;
  lines.push(
    '',
    '## Peak RSS of createBackup at two sizes',
    '',
    `| database | peak RSS (MB) |`,
    '|---|---|',
    `| ${mb(small['dbBytes'] as number)} MB (scale ${small['scale']}) | ${Math.round((small['createBackup'] as Json)['maxRssMb'] as number)} |`,
    `| ${mb(r['databaseSizeBytes'] as number)} MB (scale ${(r['load'] as Json)['scale']}) | ${Math.round(logical['createBackup default (zstd program -3 fed by pg_dump + AES-256-GCM)']?.maxRssMb ?? 0)} |`,
  );
  const physical = r['physical'] as Record<string, { ms: number; bytes: number }> | undefined;
  if (physical) {
    const pb = physical['pgbackrest full (zst, process-max=2)']!;
    lines.push(
      '',
      '## Physical backup',
      '',
      `Cluster on disk: ${mb(r['clusterBytes'] as number)} MB.`,
      '',
      '| command | time (s) | size (MB) | × pgBackRest time |',
      '|---|---|---|---|',
    );
    for (const [k, v] of Object.entries(physical))
      lines.push(`| ${k} | ${s(v.ms)} | ${mb(v.bytes)} | ${(v.ms / pb.ms).toFixed(2)} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, JSON.parse(process.argv[4]!));
} else {
  await main();
}
