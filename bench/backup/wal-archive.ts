// WAL archive throughput: `dbrs wal push` (the archive_command the README sets up: zstd + AES-256-GCM into
// local storage) against a raw `cp` archive_command, on the same real 16 MB segments, sequentially (as
// PostgreSQL's archiver calls it), interleaved in one run. Reproduce: `pnpm build && node bench/backup/wal-archive.ts`
// (as root: PostgreSQL runs as the postgres OS user). Writes wal-results.json and renders RESULTS.md (results-md.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  const tools = ['cp', 'dbrs wal push', 'dbrs wal push --key-cache off'] as const;
  const cache = mkdtempSync(join(tmpdir(), 'dbrs-walbench-cache-'));
  const runs: Array<{
    tool: string;
    round: number;
    seconds: number;
    cpuSeconds: number;
    segmentsPerSecond: number;
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
      let cpuSeconds = 0;
      const t0 = performance.now();
      for (const s of segments) {
        const argv =
          tool === 'cp'
            ? ['cp', join(segDir, s), join(dest, s)]
            : [process.execPath, CLI, 'wal', 'push', join(segDir, s), ...tool.split(' ').slice(3)];
        const r = spawnSync('/usr/bin/time', ['-o', timing, '-f', '%U %S', ...argv], { env });
        if (r.status !== 0) throw new Error(`${tool} ${s} exited ${r.status}: ${r.stderr}`);
        const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
        cpuSeconds += user! + sys!;
      }
      const seconds = (performance.now() - t0) / 1000;
      runs.push({ tool, round, seconds, cpuSeconds, segmentsPerSecond: segments.length / seconds });
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
    noKeyCacheVsCp: best('dbrs wal push --key-cache off') / best('cp'),
  };
  writeFileSync(join(HERE, 'wal-results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeResultsMd();
} finally {
  spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']);
  rmSync(root, { recursive: true, force: true });
}
