import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base.ts';

// Code splitting keeps each CLI command's module (and the feature package it
// imports) in its own chunk, loaded only when that command runs.
export default defineConfig({ ...packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }), splitting: true });
