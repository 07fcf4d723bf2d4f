// Backup benchmark for @voicehive/db-backup: createBackup / restoreBackup against
// the raw tools and a physical backup against pgBackRest, on the hotel workload.
//
//   pnpm --filter @voicehive/db-core --filter @voicehive/db-testing --filter @voicehive/db-backup build
//   node bench/backup/run.ts [--scale 250] [--small-scale 25] [--rounds 2] [--skip-physical]
//     [--only memory,small,logical,restore,physical] [--baseline-dist <dir of another build's dist>]
//
// --only reruns the named parts and keeps the others' recorded results (each part
// says when it was measured). --baseline-dist runs the default createBackup also
// with another build of the package, interleaved, for a before/after in one run.
//
// Writes results.json and RESULTS.md next to this file. Every measured Node
// operation runs in a child process of its own (child.mjs) so its peak RSS
// (maxRSS) is its own, not the loader's.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { arg, backupDist, coreDist, dirBytes, HERE, type Json, mb, runChild, s, testingDist, timed } from './common.ts';
import { DEFAULT_VARIANT, writeResultsMd } from './results-md.ts';

/** VmHWM of a Node process that runs a file doing nothing but report it: the cost of the entry's loader. */
function bareNodeHwmMb(dir: string, ext: 'mjs' | 'ts'): number {
  const file = join(dir, `hwm.${ext}`);
  const typed = ext === 'ts' ? ': string' : '';
  writeFileSync(
    file,
    `import { readFileSync } from 'node:fs';\nconst s${typed} = readFileSync('/proc/self/status', 'utf8');\nprocess.stdout.write(String(s.match(/VmHWM:\\s+(\\d+)/)?.[1]));\n`,
  );
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bare node (${ext}) failed: ${r.stderr}`);
  return Number(r.stdout) / 1024;
}

// ---------------------------------------------------------------- main
const PARTS = ['memory', 'small', 'logical', 'restore', 'physical'] as const;
type Part = (typeof PARTS)[number];
const CORE_DEPS = ['pg', 'kysely', 'pino', 'zod', 'yaml', 'prom-client', 'croner'];

type PhysicalServer = { url: string; port: number; dataDir?: string; socketDir?: string };

/**
 * createBackup physical against pgBackRest's full backup of the same cluster, interleaved by round
 * (the order alternates), the fastest of each kept with every run's time.
 */
function measurePhysical(o: { server: PhysicalServer; work: string; rounds: number; measuredAt: string }): Json {
  const { server, work } = o;
  const physical: Json = { measuredAt: o.measuredAt };
  const repo = join(work, 'pgbackrest-repo');
  mkdirSync(repo, { recursive: true });
  chmodSync(repo, 0o777);
  const conf = join(work, 'pgbackrest.conf');
  writeFileSync(
    conf,
    `[global]\nrepo1-path=${repo}\ncompress-type=zst\nprocess-max=2\nstart-fast=y\nlog-level-console=warn\nlog-path=${repo}\nlock-path=${repo}\n\n[bench]\npg1-path=${server.dataDir}\npg1-port=${server.port}\npg1-socket-path=${server.socketDir}\n`,
  );
  chmodSync(conf, 0o644);
  const pgbr = (args: string[]) =>
    timed('runuser', ['-u', 'postgres', '--', 'pgbackrest', `--config=${conf}`, '--stanza=bench', ...args]);
  pgbr(['stanza-create']);
  const OURS = 'createBackup PHYSICAL (pg_basebackup client-zstd + AES-256-GCM)';
  const PGBR = 'pgbackrest full (zst, process-max=2)';
  const keep = (name: string, m: { ms: number; bytes: number; rawBytes?: number; maxRssMb?: number }) => {
    const prev = physical[name] as (typeof m & { all: number[] }) | undefined;
    const all = [...(prev?.all ?? []), Math.round(m.ms)];
    physical[name] = !prev || m.ms < prev.ms ? { ...m, all } : { ...prev, all };
  };
  for (let round = 0; round < o.rounds; round++) {
    for (const which of round % 2 ? [PGBR, OURS] : [OURS, PGBR]) {
      if (which === OURS) {
        const store = join(work, 'store-physical');
        const r = runChild('backup', {
          url: server.url,
          store,
          config: { backupType: 'physical', encryptionKey: 'bench passphrase 1' },
        });
        keep(OURS, {
          ms: r['ms'] as number,
          bytes: r['storedBytes'] as number,
          rawBytes: r['sizeBytes'] as number,
          maxRssMb: r['maxRssMb'] as number,
        });
        rmSync(store, { recursive: true, force: true });
      } else {
        const ms = pgbr(['--type=full', '--no-archive-check', 'backup']);
        // The size of this round's backup alone: the newest full backup's directory (labels sort by time).
        const labels = readdirSync(join(repo, 'backup', 'bench')).filter((n) => /F$/.test(n));
        keep(PGBR, { ms, bytes: dirBytes(join(repo, 'backup', 'bench', labels.sort().at(-1)!)) });
      }
      console.error(`physical ${which}: ${JSON.stringify(physical[which])}`);
    }
  }
  return physical;
}

async function main(): Promise<void> {
  const scale = Number(arg('scale', '250'));
  const smallScale = Number(arg('small-scale', '25'));
  // --only logical,memory reruns those parts and keeps the others' recorded results.
  const onlyArg = process.argv.includes('--only') ? arg('only', '') : '';
  const only = onlyArg ? new Set(onlyArg.split(',')) : null;
  for (const p of only ?? []) if (!PARTS.includes(p as Part)) throw new Error(`--only: unknown part ${p} (${PARTS})`);
  const wants = (p: Part) =>
    (only ? only.has(p) : true) && !(p === 'physical' && process.argv.includes('--skip-physical'));
  // --baseline-dist <dir or index.js of another build of @voicehive/db-backup>: the default variant
  // also runs with that build, interleaved, so before/after come from one run on one machine state.
  const baselineArg = process.argv.includes('--baseline-dist') ? arg('baseline-dist', '') : '';
  const baselineDist = !baselineArg
    ? ''
    : baselineArg.endsWith('.js')
      ? resolve(baselineArg)
      : join(resolve(baselineArg), 'index.js');
  // Each measurement runs this many times, interleaved, and the fastest counts: on a shared
  // machine the fastest run is the one least disturbed by other load.
  const rounds = Number(arg('rounds', '2'));
  const previous: Json = only ? JSON.parse(readFileSync(join(HERE, 'results.json'), 'utf8')) : {};
  const { startPostgres, createTestDatabase, loadHotelWorkload } = await import(testingDist);
  const { createDatabase } = await import(coreDist);
  const work = mkdtempSync(join(tmpdir(), 'vhbk-bench-'));
  chmodSync(work, 0o777);
  const results: Json = {
    ...previous,
    date: new Date().toISOString(),
    ...(only ? { rerunParts: [...only] } : { rerunParts: undefined }),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
  };
  const measuredAt = new Date().toISOString();
  const needsPostgres = wants('small') || wants('logical') || wants('restore') || wants('physical');
  const server = needsPostgres
    ? await startPostgres({
        settings: wants('physical') ? { archive_mode: 'on', archive_command: '/bin/true' } : {},
      })
    : undefined;
  if (server) results['postgres'] = server.version.text;
  results['rounds'] = rounds;
  results['loadAverageAtStart'] = loadavg();
  const env = server
    ? { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'postgres' }
    : process.env;
  try {
    // --- where the memory goes before any work: the entry's loader, then each import
    if (wants('memory')) {
      const imports = runChild('imports', { coreDist, specifiers: [...CORE_DEPS, coreDist, backupDist] });
      results['memory'] = {
        measuredAt,
        bareNodeMjsHwmMb: bareNodeHwmMb(work, 'mjs'),
        bareNodeTsHwmMb: bareNodeHwmMb(work, 'ts'),
        imports: imports['steps'],
      };
      console.error(`memory: ${JSON.stringify(results['memory'])}`);
    }

    // --- RSS at a small size
    if (wants('small') && server) {
      const small = await createTestDatabase(server);
      const smallLoad = await loadHotelWorkload(small.url, { scale: smallScale, seed: 1 });
      const smallBackup = runChild('backup', {
        url: small.url,
        store: join(work, 'store-small'),
        config: { encryptionKey: 'bench passphrase 1' },
      });
      results['small'] = {
        measuredAt,
        scale: smallScale,
        dbBytes: smallLoad.bytes,
        loadMs: smallLoad.durationMs,
        createBackup: smallBackup,
      };
      await small.drop();
      console.error(`small: ${JSON.stringify(results['small'])}`);
    }

    // --- the big database
    if ((wants('logical') || wants('restore') || wants('physical')) && server) {
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
      // Warm the cache once so the first measured command does not pay for cold reads alone.
      timed('pg_dump', ['-Fc', '-Z0', '-f', join(work, 'warm.dump')], benv);
      rmSync(join(work, 'warm.dump'));
      // Physical first, while the cluster holds only the big database (as pgBackRest sees it too).
      if (wants('physical') && server.dataDir && server.socketDir) {
        results['physical'] = measurePhysical({ server, work, rounds, measuredAt });
        results['clusterBytes'] = dirBytes(server.dataDir);
      }
      const rawFc = join(work, 'raw.dump');
      let defaultId = '';
      let defaultStore = '';
      if (!wants('logical') && !wants('restore')) {
        // physical only
      } else if (wants('logical')) {
        const logical: Json = { measuredAt };
        const rawZ0 = join(work, 'raw-z0.dump');
        const key = { encryptionKey: 'bench passphrase 1' };
        const variants: Array<[string, Json, string?]> = [
          [DEFAULT_VARIANT, key],
          ...(baselineDist
            ? ([[`${DEFAULT_VARIANT}, baseline build`, key, baselineDist]] as Array<[string, Json, string]>)
            : []),
          ['createBackup node zstd -3 + AES-256-GCM', { ...key, zstdProgram: false }],
          ['createBackup gzip -1 + AES-256-GCM', { ...key, compression: 'gzip', compressionLevel: 1 }],
          ['createBackup gzip -6 + AES-256-GCM', { ...key, compression: 'gzip', compressionLevel: 6 }],
          ['createBackup none + AES-256-GCM', { ...key, compression: 'none' }],
        ];
        const keepFastest = (name: string, m: Json & { ms: number; maxRssMb?: number }) => {
          const prev = logical[name] as { ms: number; all: number[]; allMaxRssMb?: number[] } | undefined;
          const all = [...(prev?.all ?? []), Math.round(m.ms)];
          const allMaxRssMb =
            m.maxRssMb === undefined ? undefined : [...(prev?.allMaxRssMb ?? []), Math.round(m.maxRssMb)];
          logical[name] = !prev || m.ms < prev.ms ? { ...m, all, allMaxRssMb } : { ...prev, all, allMaxRssMb };
        };
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
          // The baseline build alternates first and second so neither always runs on a warmer machine.
          const order = [...variants.keys()];
          if (round % 2 === 1 && baselineDist) [order[0], order[1]] = [order[1]!, order[0]!];
          for (const i of order) {
            const [name, config, dist] = variants[i]!;
            const store = join(work, `store-${round}-${i}`);
            const r = runChild('backup', { url: big.url, store, config, ...(dist ? { backupDist: dist } : {}) });
            keepFastest(name, {
              ms: r['ms'] as number,
              bytes: r['storedBytes'],
              rawBytes: r['sizeBytes'],
              maxRssMb: r['maxRssMb'] as number,
              memory: r['memory'],
            });
            if (round === 0 && i === 0) {
              defaultId = r['backupId'] as string;
              defaultStore = store;
            } else rmSync(store, { recursive: true, force: true });
            console.error(`${name}: ${JSON.stringify(logical[name])}`);
          }
        }
        results['logical'] = logical;
      } else {
        // The restore part needs one default backup, and the raw -Fc file to compare with.
        defaultStore = join(work, 'store-default');
        const r = runChild('backup', {
          url: big.url,
          store: defaultStore,
          config: { encryptionKey: 'bench passphrase 1' },
        });
        defaultId = r['backupId'] as string;
        timed('pg_dump', ['-Fc', '-f', rawFc], benv);
      }

      // --- restore
      if (wants('restore')) {
        const restore: Json = { measuredAt };
        const createDb = (n: string) =>
          execFileSync('psql', ['-qc', `CREATE DATABASE "${n}"`], { env: { ...env, PGDATABASE: 'postgres' } });
        const dropDb = (n: string) =>
          execFileSync('psql', ['-qc', `DROP DATABASE "${n}" WITH (FORCE)`], {
            env: { ...env, PGDATABASE: 'postgres' },
          });
        for (let round = 0; round < rounds; round++) {
          createDb('bench_raw_restore');
          const rawMs = timed('pg_restore', ['-d', 'bench_raw_restore', rawFc], env);
          dropDb('bench_raw_restore');
          const r1 = runChild('restore', {
            url: big.url,
            store: defaultStore,
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
          store: defaultStore,
          backupId: defaultId,
          level: 1,
          config: { encryptionKey: 'bench passphrase 1' },
        });
        results['verifyLevel1'] = { measuredAt, ms: v3['ms'], maxRssMb: v3['maxRssMb'], ok: v3['ok'] };
      }
      rmSync(rawFc, { force: true });
      await big.drop();
    }
  } finally {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  results['loadAverageAtEnd'] = loadavg();
  writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeResultsMd();
}

await main();
