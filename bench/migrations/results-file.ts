// Each bench script updates its own key of results.json, so they can run separately.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const FILE = new URL('./results.json', import.meta.url);

export function saveResult(key: string, value: unknown): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(FILE, 'utf8'));
  } catch {
    // first run
  }
  all['machine'] = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    platform: process.platform,
  };
  all[key] = { ...(value as object), measuredAt: new Date().toISOString() };
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
}
