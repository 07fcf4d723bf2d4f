import { DbrsError } from '@voicehive/db-core';

/**
 * Cloud SDKs are optional peer dependencies: a service that only backs up to
 * local disk should not have to install 70 MB of cloud clients. They are
 * imported on first use, and a missing one becomes an error that says exactly
 * what to install.
 */

/** How a module is imported; injectable so tests and bundlers can substitute it. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export const defaultImporter: ModuleImporter = (specifier) => import(specifier);

export interface LoadSdkOptions {
  /** Packages to name in the install hint (all the adapter needs). */
  install: readonly string[];
  /** Used for the message: "the S3 storage adapter". */
  feature: string;
  importer?: ModuleImporter;
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return true;
  return typeof e?.message === 'string' && e.message.includes(`Cannot find package '${specifier}'`);
}

export async function loadSdk<T>(specifier: string, options: LoadSdkOptions): Promise<T> {
  const importer = options.importer ?? defaultImporter;
  try {
    return (await importer(specifier)) as T;
  } catch (error) {
    const command = `pnpm add ${options.install.join(' ')}`;
    if (isModuleNotFound(error, specifier)) {
      throw new DbrsError(
        'DEPENDENCY_MISSING',
        `${options.feature} needs the optional package "${specifier}", which is not installed.`,
        {
          hint: `Install it with \`${command}\` (or the npm/yarn equivalent).`,
          cause: error,
          details: { package: specifier, install: command },
        },
      );
    }
    throw new DbrsError('DEPENDENCY_MISSING', `${options.feature} could not load "${specifier}".`, {
      hint: `Check that it is installed and importable (\`${command}\`).`,
      cause: error,
      details: { package: specifier, install: command },
    });
  }
}
