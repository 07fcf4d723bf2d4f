import { chmod, chown, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { isDbrsError, type Logger } from '@voicehive/db-core';
import { serviceUser } from '../tools/service-user.js';
import type { WalArchive } from './archive.js';
import { nextSegmentNames, parseWalName } from './names.js';
import { WalSpool } from './spool.js';

/** The restore_command the bridge serves; a tiny script that asks the library's process over a unix socket. */
const CLIENT = `import { connect } from 'node:net';
import { resolve } from 'node:path';
const [name, dest] = process.argv.slice(2);
const socket = connect(process.argv[4]);
let answer = '';
socket.on('data', (d) => { answer += d; });
socket.on('error', () => process.exit(255));
socket.on('close', () => process.exit(answer.startsWith('ok') ? 0 : answer.startsWith('missing') ? 1 : 255));
socket.end(JSON.stringify({ name, dest: resolve(dest) }) + '\\n');
`;

export interface FetchBridge {
  /** restore_command for the server we start (node + script + socket). */
  restoreCommand: string;
  /** WAL files handed to PostgreSQL, in order. */
  served: string[];
  /** The last fetch failure other than "not archived" (it stopped recovery: the real cause to report). */
  lastError?: unknown;
  close(): Promise<void>;
}

function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * restore_command for a server the library itself starts: the storage
 * client and keys stay in this process (no key written to disk, no CLI
 * configuration needed); PostgreSQL's restore_command is a small script
 * asking over a unix socket in `runDir`. Exit codes as `dbrs wal fetch`:
 * 1 for a file not archived, 255 for any other failure. The next segments
 * are prefetched in parallel into a spool.
 */
export async function startFetchBridge(o: {
  archive: WalArchive;
  runDir: string;
  logger: Logger;
  prefetch?: number;
}): Promise<FetchBridge> {
  const socketPath = join(o.runDir, 'wal.sock');
  const script = join(o.runDir, 'restore-command.mjs');
  await writeFile(script, CLIENT, { mode: 0o644 });
  const spool = new WalSpool({ archive: o.archive, dir: join(o.runDir, 'spool'), logger: o.logger, waitMs: 60_000 });
  const user = serviceUser();
  const served: string[] = [];
  const bridge: { lastError?: unknown } = {};
  const pending = new Set<Promise<unknown>>();
  const handle = async (name: string, dest: string): Promise<'ok' | 'missing' | 'error'> => {
    if (!parseWalName(name) || !isAbsolute(dest)) return 'error';
    try {
      if (!(await spool.take(name, dest))) await o.archive.fetch(name, dest);
      if (user) await chown(dest, user.uid, user.gid);
      served.push(name);
      const next = nextSegmentNames(name, o.prefetch ?? 8);
      if (next.length) {
        const job = spool.prefetch(next).catch(() => {});
        pending.add(job);
        job.finally(() => pending.delete(job));
      }
      return 'ok';
    } catch (err) {
      if (isDbrsError(err, 'NOT_FOUND')) return 'missing';
      bridge.lastError = err;
      o.logger.error({ event: 'wal_fetch_failed', name, err }, 'restore_command failed: recovery stops');
      return 'error';
    }
  };
  // allowHalfOpen: the client half-closes after its request and waits for the answer. Without it Node ends
  // our side as soon as the request's end arrives, before the (asynchronous) fetch answers: every request,
  // including the "is there a 00000002.history?" that starts each recovery, read as a broken connection (255).
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    let input = '';
    socket.on('data', (d) => {
      input += d;
    });
    socket.on('error', () => {});
    socket.on('end', () => {
      let req: { name?: string; dest?: string } = {};
      try {
        req = JSON.parse(input) as typeof req;
      } catch {
        // answered as an error below
      }
      handle(String(req.name), resolve(String(req.dest ?? ''))).then((answer) => socket.end(answer));
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(socketPath, () => res());
  });
  // The server runs as the postgres OS user: it must be able to connect.
  await chmod(socketPath, 0o777);
  return {
    restoreCommand: `${sq(process.execPath)} ${sq(script)} "%f" "%p" ${sq(socketPath)}`,
    served,
    get lastError() {
      return bridge.lastError;
    },
    async close() {
      await new Promise<void>((res) => server.close(() => res()));
      await Promise.allSettled([...pending]);
    },
  };
}
