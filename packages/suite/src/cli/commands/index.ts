import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from '../context.js';
import { lazy } from './lazy.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  summary: string;
  usage?: string;
  options?: OptionSpec;
  /** Positional arguments allowed after the command words. Default 0. */
  maxArgs?: number;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  config: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Command words → spec. Feature commands are added by ./features.ts. */
export const COMMANDS: Record<string, CommandSpec> = {
  status: {
    summary:
      'Comprehensive status of the database and every component (exit 3 when unhealthy); --timeout-ms bounds each component (default 30000).',
    options: { 'timeout-ms': { type: 'string' } },
    run: lazy(() => import('./status.js'), 'statusCommand'),
  },
  serve: {
    summary:
      'Run the sidecar: health/status/page on --port (8080), metrics on --metrics-port (9090), scheduled maintenance.',
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'metrics-port': { type: 'string' },
      'no-scheduler': { type: 'boolean' },
    },
    run: lazy(() => import('./serve.js'), 'serveCommand'),
  },
  'maintenance run': {
    summary: 'Run one maintenance cycle now (under the leader lock).',
    options: { force: { type: 'boolean' }, 'wait-ms': { type: 'string' } },
    run: lazy(() => import('./maintenance.js'), 'maintenanceRunCommand'),
  },
};
