// The WAL hot path (archive_command / restore_command), loaded by ./cli.ts: see cli/wal-main.ts.
export { main } from './cli/wal-main.js';
