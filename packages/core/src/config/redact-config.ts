import { REDACTED, redact } from '../util/redact.js';
import { deepFreeze } from './freeze.js';
import { isPlainObject, type PlainObject } from './plain-object.js';
import type { DbrsConfig } from './schema.js';

/**
 * A copy of the config that is safe to log, print or serve on a status page:
 * secret-named keys (password, adminPassword, encryptionKey,
 * azureConnectionString, apiKey) are replaced, the password inside
 * `database.url` is scrubbed, and every decryption key is hidden (they are
 * age identities or passphrases, whatever the key name says).
 */
export function redactConfig(config: DbrsConfig): DbrsConfig {
  const copy = redact(config) as DbrsConfig;
  restoreNonStrings(copy as unknown as PlainObject, config as unknown as PlainObject);
  copy.backup.decryptionKeys = config.backup.decryptionKeys.map(() => REDACTED);
  return deepFreeze(copy);
}

/**
 * redact() matches key names, so `metricsRequireApiKey: false` would become
 * '[REDACTED]'. Numbers and booleans are never secrets: put them back.
 */
function restoreNonStrings(copy: PlainObject, original: PlainObject): void {
  for (const [key, value] of Object.entries(original)) {
    if (typeof value === 'boolean' || typeof value === 'number') copy[key] = value;
    else if (isPlainObject(value) && isPlainObject(copy[key])) restoreNonStrings(copy[key], value);
  }
}
