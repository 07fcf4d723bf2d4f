// A subpath of its own (`@voicehive/db-testing/contracts`): it imports vitest,
// which the main entry (used by the demo and benchmarks) must not load.
export type { ResourceOwnerTarget } from './resource-owner.js';
export { describeResourceOwnerContract, sessionWaitsOnLock } from './resource-owner.js';
