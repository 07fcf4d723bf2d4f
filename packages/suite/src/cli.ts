#!/usr/bin/env node
import { main } from './cli/main.js';

// SIGINT/SIGTERM abort the running command (serve shuts down cleanly); a second signal exits at once.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    controller.abort();
    process.once(sig, () => process.exit(130));
  });
}
const code = await main(process.argv.slice(2), undefined, controller.signal);
process.exitCode = code;
// A finished command exits within 2 s even if a handle lingers: a leaked socket or
// client must not turn SIGTERM into a hang under a supervisor. The handles are named,
// so a leak is seen rather than hidden (the timer is unref'd: it never delays a clean exit).
setTimeout(() => {
  process.stderr.write(`dbrs: exiting with handles still open: ${process.getActiveResourcesInfo().join(', ')}\n`);
  process.exit(code);
}, 2_000).unref();
