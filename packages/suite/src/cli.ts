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
process.exitCode = await main(process.argv.slice(2), undefined, controller.signal);
