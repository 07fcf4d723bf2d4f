import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Document, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { DbrsError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';
import type { EnvSource } from './env.js';

/** Read from the working directory when no file is named. */
export const DEFAULT_CONFIG_FILE = 'database_config.yaml';

export interface ConfigFileChoice {
  path: string;
  /** Named by the caller or DBRS_CONFIG: it must exist. The default file may be absent. */
  required: boolean;
}

/** `file` option, else DBRS_CONFIG, else `database_config.yaml` in `cwd`; `false` means no file. */
export function chooseConfigFile(
  file: string | false | undefined,
  env: EnvSource,
  cwd: string,
): ConfigFileChoice | undefined {
  if (file === false) return undefined;
  if (file !== undefined) return { path: resolve(cwd, file), required: true };
  const fromEnv = env['DBRS_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), required: true };
  return { path: resolve(cwd, DEFAULT_CONFIG_FILE), required: false };
}

export interface ConfigDocument {
  path: string;
  document: Document.Parsed;
  lineCounter: LineCounter;
}

export interface Position {
  line: number;
  column: number;
}

/** 1-based line and column of a source offset. */
export function positionAt(doc: ConfigDocument, offset: number): Position {
  const { line, col } = doc.lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Reads and parses the file. Returns undefined only for a missing default
 * file. Parse errors carry line and column but no code frame: the frame
 * quotes the source line, which may hold a password.
 */
export function readConfigDocument(choice: ConfigFileChoice): ConfigDocument | undefined {
  let source: string;
  try {
    source = readFileSync(choice.path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (!choice.required && code === 'ENOENT') return undefined;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    throw new DbrsError(
      'CONFIG_FILE_NOT_FOUND',
      missing
        ? `Configuration file ${choice.path} does not exist.`
        : `Configuration file ${choice.path} cannot be read (${code ?? 'unknown error'}).`,
      {
        cause,
        details: { file: choice.path, errorCode: code },
        hint: missing ? 'Check the file option or DBRS_CONFIG.' : 'Check its permissions.',
      },
    );
  }
  const lineCounter = new LineCounter();
  // merge: PyYAML honours `<<: *anchor`, and configs written for it use that for shared sections.
  const document = parseDocument(source, { lineCounter, prettyErrors: false, merge: true });
  const doc: ConfigDocument = { path: choice.path, document, lineCounter };
  // Warnings are unresolved tags (`!vault …`, `!!python/…`): treating those as plain strings would be a guess.
  const problem: YAMLError | undefined = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) throw parseError(doc, problem);
  return doc;
}

function parseError(doc: ConfigDocument, problem: YAMLError): DbrsError {
  const { line, column } = positionAt(doc, problem.pos[0]);
  const more = doc.document.errors.length + doc.document.warnings.length - 1;
  return new DbrsError(
    'CONFIG_PARSE',
    `Could not parse ${doc.path} at line ${line}, column ${column}: ${problem.message}` +
      (more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''),
    { details: { file: doc.path, line, column, yamlCode: problem.code } },
  );
}

/**
 * The document as plain JS. Aliases are resolved here, so an alias to a
 * missing anchor or an alias bomb fails now, as a parse error.
 */
export function documentToObject(doc: ConfigDocument): Record<string, unknown> {
  let value: unknown;
  try {
    value = doc.document.toJS();
  } catch (cause) {
    throw new DbrsError('CONFIG_PARSE', `Could not parse ${doc.path}: ${errorMessage(cause)}`, {
      details: { file: doc.path },
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `Invalid configuration: ${doc.path} must hold a mapping of sections (database:, backup:, …), not ${
        Array.isArray(value) ? 'a list' : `a ${typeof value}`
      }.`,
      { details: { file: doc.path } },
    );
  }
  return value as Record<string, unknown>;
}
