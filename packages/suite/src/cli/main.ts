import { parseArgs } from 'node:util';
import { errorMessage } from '@voicehive/db-core/internal';
import { registerFeatureCommands } from './commands/features.js';
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS } from './commands/index.js';
import { type CliIO, makeContext } from './context.js';
import { EXIT, formatUsageError, UsageError } from './usage.js';

registerFeatureCommands(COMMANDS);

export function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'Usage: dbrs <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    '',
    'Options for every command:',
    '  --url <postgres-url>   database (default: DATABASE_URL)',
    '  --config <file>        YAML configuration (database_config.yaml)',
    '  --json                 machine-readable output on stdout',
    '  --verbose              logs on stderr',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error, 3 unhealthy.',
  ].join('\n');
}

function findCommand(argv: string[]): { name: string; spec: CommandSpec; rest: string[] } | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const name = words.slice(0, n).join(' ');
    const spec = COMMANDS[name];
    if (spec) return { name, spec, rest: argv.slice(n) };
  }
  return undefined;
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function main(
  argv: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout.write(`${helpText()}\n`);
      return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
    const found = findCommand(argv);
    if (!found) {
      const group = Object.keys(COMMANDS).filter((c) => c.startsWith(`${argv[0]} `));
      throw new UsageError(
        group.length
          ? `"${argv[0]}" needs a subcommand: ${group.map((g) => g.split(' ')[1]).join(', ')}`
          : `unknown command "${argv[0]}"`,
      );
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: found.rest,
        options: { ...GLOBAL_OPTIONS, ...(found.spec.options ?? {}) },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      // From core's small internal entry: help and usage errors do not load core's pg/kysely/zod graph.
      throw new UsageError(`${found.name}: ${errorMessage(err).split('\n')[0]}`);
    }
    if (parsed.values['help']) {
      const opts = Object.keys(found.spec.options ?? {}).map((o) => `--${o}`);
      io.stdout.write(
        `dbrs ${found.name}${found.spec.usage ? ` ${found.spec.usage}` : ''}${opts.length ? ` [${opts.join('] [')}]` : ''}\n  ${found.spec.summary}\n`,
      );
      return EXIT.OK;
    }
    if (parsed.positionals.length > (found.spec.maxArgs ?? 0)) {
      throw new UsageError(
        `${found.name}: unexpected argument "${parsed.positionals[found.spec.maxArgs ?? 0]}"${found.spec.usage ? `; usage: dbrs ${found.name} ${found.spec.usage}` : ''}`,
      );
    }
    const ctx = makeContext(
      parsed.values as Record<string, string | boolean | undefined>,
      parsed.positionals,
      io,
      signal,
    );
    return await found.spec.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${formatUsageError(err)}\n`);
      return EXIT.USAGE;
    }
    // Loaded here: errors.ts needs db-core, which help and usage must not pay for.
    const { exitCodeFor, formatError } = await import('./errors.js');
    io.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}
