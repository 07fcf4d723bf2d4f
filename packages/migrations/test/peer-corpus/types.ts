/** One case transcribed from a peer's published test suite (the SQL and the peer's verdict are facts; the form is ours). */
export interface PeerCase {
  /** `<peer>/<file or group>/<test>`: stable, used by differences.json. */
  id: string;
  peer: 'squawk' | 'strong_migrations' | 'eugene';
  /** Where the case comes from: `owner/repo@commit:path#test`. */
  source: string;
  sql: string;
  /** How the peer ran it: target version and whether the whole text is one transaction. */
  settings: { serverVersion: number; transactional: boolean; timeZone?: string };
  /** The peer's rule id (squawk rule, eugene hint, strong_migrations check). */
  peerRule: string;
  peerVerdict: 'safe' | 'unsafe';
  /** Tables the peer's test database already has with these column types (strong_migrations runs against a real schema). */
  catalog?: {
    columnTypes?: Record<string, string>;
    notNullColumns?: string[];
    indexColumns?: Record<string, string[]>;
  };
  /** Tables that the peer's fixture creates empty before the migration (not "existing" data). */
  newTables?: string[];
}

/** A deliberate difference: our verdict, why, and the PostgreSQL documentation that decides it. */
export interface PeerDifference {
  ours: 'safe' | 'unsafe';
  reason: string;
  docs: string;
}
