#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { privateDir, userCacheDir } from './cli/cache-dir.js';
import { isWalHotPath } from './cli/commands/wal-specs.js';
import { alreadyPushedAsync } from './cli/wal-push-fast.js';

// SIGINT/SIGTERM abort the running command (serve shuts down cleanly); a second signal exits at once.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    controller.abort();
    process.once(sig, () => process.exit(130));
  });
}
const argv = process.argv.slice(2);
// An asynchronous push whose segment the worker already stored answers before anything is loaded (wal-push-fast.ts).
if (alreadyPushedAsync(argv, process.cwd())) process.exit(0);
// PostgreSQL starts `dbrs wal push|fetch` once per WAL file: those run from a separate bundled entry holding
// only what they reach (see tsup.config.ts). The specifier is not a literal so this build leaves it a file of its own.
const walEntry = './cli-wal.js';
// V8's code cache for that bundle: compiling its 1.4 MB was the largest CPU cost of a `wal push` once the key
// cache removed the key derivations. Only in a directory private to this user (a code cache is code).
if (isWalHotPath(argv)) {
  const dir = privateDir(join(userCacheDir(process.env), 'compile'));
  if (dir) enableCompileCache(dir);
}
// The full CLI is imported only when it runs: `wal push|fetch` must not load (and compile) its module graph.
const run = isWalHotPath(argv)
  ? ((await import(walEntry)) as typeof import('./cli-wal.js')).main
  : (await import('./cli/main.js')).main;
const code = await run(argv, undefined, controller.signal);
process.exitCode = code;
// A finished command exits within 2 s even if a handle lingers: a leaked socket or
// client must not turn SIGTERM into a hang under a supervisor. The handles are named,
// so a leak is seen rather than hidden (the timer is unref'd: it never delays a clean exit).
setTimeout(() => {
  process.stderr.write(`dbrs: exiting with handles still open: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(code);
}, 2_000).unref();
