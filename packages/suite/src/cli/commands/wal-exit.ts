/**
 * restore_command: PostgreSQL reads exit status 1 as "no such file" (the
 * normal end of the archive) and any status above 125 as fatal, which stops
 * recovery. A file that exists but cannot be read (storage down, wrong key,
 * tampering) must never look like the end of the archive, or recovery would
 * finish early and promote a database missing its last transactions.
 */
export const WAL_FETCH_EXIT = { FOUND: 0, MISSING: 1, FATAL: 255 } as const;
