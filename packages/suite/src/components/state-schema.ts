import { type DbrsConfig, PREVIOUS_STATE_SCHEMA } from '@voicehive/db-core';

/**
 * Where one of the suite's tables lives: its section's own `schema` when set, else the one state schema
 * (`database.stateSchema`). Only a table whose schema was not configured may still be found where older
 * releases put every table by default (`public`); a configured schema is taken at its word.
 */
export function stateLocation(
  config: Pick<DbrsConfig, 'database'>,
  sectionSchema: string | undefined,
): { schema: string; previousSchema?: string } {
  return sectionSchema === undefined
    ? { schema: config.database.stateSchema, previousSchema: PREVIOUS_STATE_SCHEMA }
    : { schema: sectionSchema };
}
