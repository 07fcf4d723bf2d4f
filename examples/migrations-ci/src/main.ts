import { resolve } from 'node:path';
import { runCiStep } from './ci-step.js';

const databaseUrl = process.env['DATABASE_URL'];
if (!databaseUrl) {
  process.stderr.write('Set DATABASE_URL.\n');
  process.exit(2);
}
const result = await runCiStep({ databaseUrl, migrationsDir: resolve(process.env['MIGRATIONS_DIR'] ?? 'migrations') });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exitCode = result.exitCode;
