// WAL archive throughput: `dbrs wal push` (the archive_command the README sets up: zstd + AES-256-GCM into
// local storage) against a raw `cp` archive_command, on the same real 16 MB segments, sequentially (as
// PostgreSQL's archiver calls it), interleaved in one run. Reproduce: `pnpm build && node bench/backup/wal-archive.ts`
// (as root: PostgreSQL runs as the postgres OS user). Writes wal-results.json and renders RESULTS.md (results-md.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResultsMd } from './results-md.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '../../packages/suite/dist/cli.js');
const BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
const ROUNDS = Number(process.env['ROUNDS'] ?? 2);
const asPg = (cmd: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

const root = mkdtempSync(join(tmpdir(), 'dbrs-walbench-'));
chmodSync(root, 0o777);
const segDir = join(root, 'segments');
mkdirSync(segDir, { mode: 0o777 });
chmodSync(segDir, 0o777);
const data = join(root, 'data');
const loadStart = loadavg();
try {
  asPg(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const opts = [
    "-c listen_addresses=''",
    `-c unix_socket_directories=${root}`,
    '-c archive_mode=on',
    `-c archive_command='cp %p ${segDir}/%f'`,
    '-c max_wal_size=4GB',
    '-c fsync=off',
  ].join(' ');
  asPg(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(root, 'log'), '-o', opts, '-w', 'start']);
  const sql = (q: string) => asPg(join(BIN, 'psql'), ['-h', root, '-U', 'postgres', '-d', 'postgres', '-qAtc', q]);
  // Realistic segments: full of table data (md5 text compresses about 2x), not zero padding after a switch.
  sql('CREATE TABLE t (id bigint, v text)');
  sql('INSERT INTO t SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 2500000) g');
  sql('SELECT pg_switch_wal()');
  sql('CHECKPOINT');
  for (let i = 0; i < 100 && !sql('SELECT last_archived_wal FROM pg_stat_archiver').toString().trim(); i++)
    execFileSync('sleep', ['0.2']);
  execFileSync('sleep', ['2']);
  asPg(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  const segments = readdirSync(segDir)
    .filter((n) => /^[0-9A-F]{24}$/.test(n))
    .sort()
    .slice(1, -1); // drop the first (initdb) and the last (switched, mostly padding)
  const bytes = segments.reduce((n, s) => n + statSync(join(segDir, s)).size, 0);

  // Three archive_commands, interleaved per round: the raw copy, `dbrs wal push` as set up (key cache and code
  // cache in a private per-user directory: one key derivation a day), and `--key-cache off` (both of the
  // passphrase's key derivations in every push, as before the cache). CPU seconds (user + sys, children included,
  // from /usr/bin/time) are reported beside wall time: on a shared, loaded machine they are the steadier figure.
  // The fourth, `dbrs wal push --async`, is the asynchronous push (backup.walPushAsync): every segment is marked
  // ready at once in a pg_wal layout (a busy server's archive backlog), each command is run in order as the archiver
  // does, and the .ready mark becomes .done after it succeeds, as PostgreSQL does. Its CPU is the foregrounds' plus
  // the background worker's (read from /proc before it is stopped; /usr/bin/time does not see a detached child).
  const tools = ['cp', 'dbrs wal push', 'dbrs wal push --key-cache off', 'dbrs wal push --async'] as const;
  const cache = mkdtempSync(join(tmpdir(), 'dbrs-walbench-cache-'));
  const runs: Array<{
    tool: string;
    round: number;
    seconds: number;
    cpuSeconds: number;
    segmentsPerSecond: number;
    /** Of cpuSeconds, the background worker's (asynchronous push only). */
    workerCpuSeconds?: number;
  }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const tool of tools) {
      const dest = join(root, `store-${tools.indexOf(tool)}-${round}`);
      mkdirSync(dest, { recursive: true });
      const env = {
        ...process.env,
        NODE_OPTIONS: '',
        XDG_CACHE_HOME: cache,
        BACKUP_STORAGE_TYPE: 'local',
        BACKUP_LOCAL_PATH: dest,
        BACKUP_ENCRYPTION_KEY: 'wal bench passphrase',
      };
      const timing = join(root, 'time.txt');
      const isAsync = tool === 'dbrs wal push --async';
      const walDir = isAsync ? asyncLayout(join(root, `pg_wal-${round}`), segDir, segments) : segDir;
      const spool = join(walDir, '.dbrs-push');
      let cpuSeconds = 0;
      const t0 = performance.now();
      for (const s of segments) {
        const argv =
          tool === 'cp'
            ? ['cp', join(segDir, s), join(dest, s)]
            : [
                process.execPath,
                CLI,
                'wal',
                'push',
                join(walDir, s),
                ...tool.split(' ').slice(3),
                // As the README sets it up: with the spool on the command line, a segment the worker already
                // stored is answered before the wal bundle loads.
                ...(isAsync ? ['--spool-dir', spool] : []),
              ];
        const r = spawnSync('/usr/bin/time', ['-o', timing, '-f', '%U %S', ...argv], { env });
        if (r.status !== 0) throw new Error(`${tool} ${s} exited ${r.status}: ${r.stderr}`);
        const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
        cpuSeconds += user! + sys!;
        if (isAsync)
          renameSync(join(walDir, 'archive_status', `${s}.ready`), join(walDir, 'archive_status', `${s}.done`));
      }
      const seconds = (performance.now() - t0) / 1000;
      const workerCpuSeconds = isAsync ? stopWorker(spool) : 0;
      cpuSeconds += workerCpuSeconds;
      runs.push({
        tool,
        round,
        seconds,
        cpuSeconds,
        segmentsPerSecond: segments.length / seconds,
        ...(isAsync ? { workerCpuSeconds } : {}),
      });
    }
  }
  rmSync(cache, { recursive: true, force: true });
  const of = (tool: string) => runs.filter((r) => r.tool === tool);
  const best = (tool: string) => Math.max(...of(tool).map((r) => r.segmentsPerSecond));
  const cpuPerSegment = (tool: string) => Math.min(...of(tool).map((r) => r.cpuSeconds)) / segments.length;
  const result = {
    at: new Date().toISOString(),
    cores: cpus().length,
    node: process.version,
    segments: segments.length,
    segmentBytes: bytes / segments.length,
    loadStart,
    loadEnd: loadavg(),
    runs,
    bestSegmentsPerSecond: Object.fromEntries(tools.map((t) => [t, best(t)])),
    bestCpuSecondsPerSegment: Object.fromEntries(tools.map((t) => [t, cpuPerSegment(t)])),
    dbrsVsCp: best('dbrs wal push') / best('cp'),
    asyncVsCp: best('dbrs wal push --async') / best('cp'),
    asyncVsSync: best('dbrs wal push --async') / best('dbrs wal push'),
    noKeyCacheVsCp: best('dbrs wal push --key-cache off') / best('cp'),
  };
  writeFileSync(join(HERE, 'wal-results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeResultsMd();
} finally {
  for (const d of readdirSync(root).filter((n) => n.startsWith('pg_wal-'))) stopWorker(join(root, d, '.dbrs-push'));
  spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
  rmSync(root, { recursive: true, force: true });
}

/** A pg_wal of the bench's segments (hard links) with every one marked ready, as a server with a backlog has it. */
function asyncLayout(walDir: string, segDir: string, segments: string[]): string {
  mkdirSync(join(walDir, 'archive_status'), { recursive: true });
  for (const s of segments) {
    linkSync(join(segDir, s), join(walDir, s));
    writeFileSync(join(walDir, 'archive_status', `${s}.ready`), '');
  }
  return walDir;
}

/** CPU seconds the background worker of `spool` used so far (utime + stime); stops it (SIGTERM) and waits for it. */
function stopWorker(spool: string): number {
  const lock = join(spool, 'worker.lock');
  if (!existsSync(lock)) return 0;
  const pid = Number((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid);
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after "(comm) ": state is the first; utime and stime (clock ticks, 100 per second) the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 0;
  }
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) execFileSync('sleep', ['0.1']);
  return ticks / 100;
}
