import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** Every `voicehive_*` metric name used in a PromQL expression. */
export function metricNamesIn(expr: string): string[] {
  return [...new Set(expr.match(/\bvoicehive_[a-zA-Z0-9_:]+/g) ?? [])];
}

/** PromQL expressions of every panel target in the Grafana dashboards, by file. */
export function dashboardExpressions(dir: string): Array<{ file: string; panel: string; expr: string }> {
  const out: Array<{ file: string; panel: string; expr: string }> = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dash = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    for (const p of dash.panels) for (const t of p.targets ?? []) out.push({ file, panel: p.title, expr: t.expr });
  }
  return out;
}

/** `expr:` lines of a Prometheus rules file (single-line expressions, as ours are). */
export function ruleExpressions(yamlText: string): string[] {
  return [...yamlText.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!.trim());
}

/**
 * Whether a queried series name is produced by an exported metric: an exact
 * name, or `<histogram>_bucket|_sum|_count` of an exported histogram
 * (`_sum`/`_count` of a summary too).
 */
export function isExported(name: string, exported: Map<string, string>): boolean {
  if (exported.has(name)) return true;
  const base = name.replace(HISTOGRAM_SUFFIX, '');
  const type = exported.get(base);
  if (type === 'histogram') return true;
  return type === 'summary' && !name.endsWith('_bucket');
}
