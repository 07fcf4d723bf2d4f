/**
 * The suite's features, in status order: the one list every other spelling
 * derives from. A leaf module (no imports), so the status types can name the
 * components without importing the feature interfaces that import them.
 */
export const FEATURES = ['performance', 'backup', 'migrations', 'capacity', 'pgbouncer'] as const;
export type FeatureName = (typeof FEATURES)[number];
