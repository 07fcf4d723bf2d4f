#!/usr/bin/env node
// The dbrs bin. pnpm links bins when it installs, before anything is built, so
// the link points at this checked-in launcher rather than at dist/cli.js
// (which made `pnpm install` warn "Failed to create bin" on a fresh clone).
try {
  await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.js')) throw err;
  process.stderr.write('dbrs: this checkout is not built yet: run `pnpm build`, or `pnpm dbrs …` to run from source\n');
  process.exitCode = 1;
}
