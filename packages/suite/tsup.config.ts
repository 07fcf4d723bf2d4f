import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base.ts';

export default defineConfig([
  // Code splitting keeps each CLI command's module (and the feature package it
  // imports) in its own chunk, loaded only when that command runs.
  { ...packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }), splitting: true },
  {
    // archive_command/restore_command start `dbrs wal push|fetch` once per WAL file (src/cli.ts picks this
    // entry for them). Bundling the workspace packages' sources into this one file lets the bundler drop what
    // it never reaches (the database client, query builder, metrics): measured 0.4-0.5 s of CPU per start
    // instead of 1.2-1.5 s through the packages' own builds.
    ...packageBuild({ 'cli-wal': 'src/cli-wal.ts' }),
    dts: false,
    clean: false,
    noExternal: [/^@voicehive\//],
    // CommonJS dependencies bundled into ESM (pino) require() node builtins at run time.
    banner: {
      js: "import { createRequire as __dbrsCreateRequire } from 'node:module'; const require = __dbrsCreateRequire(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ['@voicehive/source'];
    },
  },
]);
