import type { IndexInfo } from '../catalog/catalog.js';

/** Indexes that back a constraint or the replica identity: never suggested for dropping. */
export const isProtected = (i: IndexInfo): boolean => i.unique || i.primary || i.constraintBacked || i.replicaIdentity;
