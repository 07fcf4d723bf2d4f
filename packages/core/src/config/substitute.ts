import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import { DbrsError } from '../errors.js';
import type { EnvSource } from './env.js';
import { type ConfigDocument, positionAt } from './yaml.js';

/*
 * `${VAR}` and `${VAR:-default}` inside YAML string scalars, as in the
 * original system and the shell: `:-` applies when VAR is unset or empty,
 * and `${VAR}` with VAR set to '' gives ''. `$${` writes a literal `${`.
 * A lone `$` (as in `pa$$word`) is left alone, unlike docker-compose which
 * would silently turn `$$` into `$` inside passwords. Defaults are literal
 * text (no nesting). Keys are never substituted.
 */

const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/;

interface Unset {
  variable: string;
  path: string;
  line: number;
  column: number;
}

interface Walk {
  doc: ConfigDocument;
  env: EnvSource;
  unset: Unset[];
  /** Scalars already substituted: an alias reaches the same node twice, and substitution is not idempotent. */
  done: Set<Node>;
}

/** YAML-side path for messages, in the file's own spelling: `environments.production.database.password`. */
function joinPath(path: string, segment: string | number): string {
  if (typeof segment === 'number') return `${path}[${segment}]`;
  return path === '' ? segment : `${path}.${segment}`;
}

/**
 * Substitutes every string scalar under `pairs` (with `prefix` as their YAML
 * path) in place. All unset variables are reported together.
 */
export function substituteVariables(
  doc: ConfigDocument,
  parts: ReadonlyArray<{ prefix: string; node: Node | Pair | undefined }>,
  env: EnvSource,
): void {
  const walk: Walk = { doc, env, unset: [], done: new Set() };
  for (const { prefix, node } of parts) if (node !== undefined) visit(node, prefix, walk);
  if (walk.unset.length === 0) return;
  const lines = walk.unset.map((u) => `  - ${u.variable}, used at ${u.path} (line ${u.line}, column ${u.column})`);
  const first = walk.unset[0]!;
  throw new DbrsError(
    'CONFIG_VARIABLE_UNSET',
    walk.unset.length === 1
      ? `Environment variable ${first.variable} is not set; ${doc.path} uses it at ${first.path} (line ${first.line}, column ${first.column}).`
      : `Environment variables used in ${doc.path} are not set:\n${lines.join('\n')}`,
    {
      details: { file: doc.path, variable: first.variable, path: first.path, unset: walk.unset },
      hint: `Set ${walk.unset.length === 1 ? 'it' : 'them'}, or give a default: \${${first.variable}:-value}.`,
    },
  );
}

function visit(node: Node | Pair, path: string, walk: Walk): void {
  if (isPair(node)) {
    const key = isScalar(node.key) ? String(node.key.value) : '?';
    if (node.value !== null && node.value !== undefined) visit(node.value as Node, joinPath(path, key), walk);
    return;
  }
  if (walk.done.has(node)) return;
  walk.done.add(node);
  if (isAlias(node)) {
    const target = node.resolve(walk.doc.document);
    if (target !== undefined) visit(target, path, walk);
    return;
  }
  if (isMap(node)) {
    for (const pair of node.items) visit(pair, path, walk);
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, index) => {
      if (item !== null && item !== undefined) visit(item as Node, joinPath(path, index), walk);
    });
    return;
  }
  if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
    node.value = substituteText(node.value, path, node.range?.[0] ?? 0, walk);
  }
}

function substituteText(text: string, path: string, offset: number, walk: Walk): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) break;
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const match = VARIABLE.exec(text.slice(dollar + 2));
    if (match === null) {
      const { line, column } = positionAt(walk.doc, offset);
      // The text itself is not quoted: it may be a secret that happens to contain "${".
      throw new DbrsError(
        'CONFIG_PARSE',
        `Could not parse ${walk.doc.path} at line ${line}, column ${column}: ${path} has a malformed \${…} expression.`,
        {
          details: { file: walk.doc.path, path, line, column },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the ${…} syntax being explained.
          hint: 'Use ${NAME} or ${NAME:-default}; write $${ for a literal "${".',
        },
      );
    }
    const [whole, name, fallback] = match as unknown as [string, string, string | undefined];
    const value = walk.env[name];
    if (fallback !== undefined) out += value === undefined || value === '' ? fallback : value;
    else if (value !== undefined) out += value;
    else {
      const { line, column } = positionAt(walk.doc, offset);
      walk.unset.push({ variable: name, path, line, column });
    }
    i = dollar + 2 + whole.length;
  }
  return out + text.slice(i);
}
