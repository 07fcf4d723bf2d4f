/**
 * `@voicehive/db-core/internal`: small helpers the suite's own packages share
 * so each exists once. Not part of the public API (no semver promise); pure
 * functions only, because this entry is bundled separately from the main one
 * and a class here would be a second, non-`instanceof`-compatible copy.
 */

export { errorMessage } from './util/error-message.js';
export { findExecutable, isExecutable } from './util/find-executable.js';
export { formatBytes } from './util/format-bytes.js';
export { loadOnce } from './util/load-once.js';
export { reaper } from './util/reaper.js';
export { stripUndefined } from './util/strip-undefined.js';
