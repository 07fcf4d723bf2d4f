import { parseArgs } from 'node:util';
import { errorMessage } from '@voicehive/db-core';
import { WAL_HOT_COMMANDS } from './commands/wal-specs.js';
import type { CliIO, CommandContext } from './context.js';
import { exitCodeFor, formatError, UsageError } from './errors.js';

/**
 * `dbrs wal push|fetch|prefetch` without the rest of the CLI: PostgreSQL
 * starts archive_command and restore_command once per WAL file, so these
 * load only core, the backup package and the configuration (no suite, no
 * other feature package, no HTTP server). Same options and exit codes as
 * through the full CLI, which registers the same specs.
 */
export async function main(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const name = `${argv[0]} ${argv[1]}`;
  const spec = WAL_HOT_COMMANDS[name];
  try {
    if (!spec) throw new UsageError(`unknown command "${name}"`);
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: argv.slice(2),
        options: {
          config: { type: 'string' },
          url: { type: 'string' },
          json: { type: 'boolean' },
          verbose: { type: 'boolean' },
          ...spec.options,
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(`${name}: ${errorMessage(err).split('\n')[0]}`);
    }
    if (parsed.positionals.length > spec.maxArgs) {
      throw new UsageError(
        `${name}: unexpected argument "${parsed.positionals[spec.maxArgs]}"; usage: dbrs ${name} ${spec.usage}`,
      );
    }
    const values = parsed.values as CommandContext['values'];
    const json = values['json'] === true;
    const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
    const ctx = {
      values,
      positionals: parsed.positionals,
      json,
      io,
      signal,
      str,
      num(k: string) {
        const v = str(k);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new UsageError(`--${k} expects a number, got "${v}"`);
        return n;
      },
      print(human: string, value: unknown) {
        io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
      },
      openSuite() {
        throw new Error('wal commands run without the suite');
      },
    } satisfies CommandContext;
    return await spec.run(ctx);
  } catch (err) {
    io.stderr.write(`${formatError(err)}\n`);
    return spec?.fatalExit ?? exitCodeFor(err);
  }
}
