import { createMetrics } from '@voicehive/db-core';
import type { StatusPageData, SuiteHandlerTarget } from '../../src/index.js';

/** Secrets planted in the data a target returns, to prove none reaches a response. */
export const PLANTED = {
  password: 'pg-Pa55word-planted',
  s3Secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED',
  azure:
    'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=QXp1cmVLZXlQbGFudGVk==;EndpointSuffix=core.windows.net',
  azureKey: 'QXp1cmVLZXlQbGFudGVk==',
  encryptionKey: 'correct-horse-battery-planted',
};

export const OPERATOR_KEY = 'operator-key-0123456789abcdef';
export const VIEWER_KEY = 'viewer-key-0123456789abcdef';

const day = 86_400_000;

export function samplePageData(): StatusPageData {
  const now = Date.UTC(2026, 10, 26);
  return {
    status: {
      overallHealth: 'degraded',
      generatedAt: new Date(now).toISOString(),
      components: {
        database: {
          status: 'healthy',
          durationMs: 2,
          details: { url: `postgres://app:${PLANTED.password}@db:5432/hotel` },
        },
        performance: { status: 'degraded', durationMs: 40, message: '2 slow queries' },
        backup: {
          status: 'healthy',
          durationMs: 12,
          details: { s3SecretAccessKey: PLANTED.s3Secret, encryptionKey: PLANTED.encryptionKey },
        },
        migrations: { status: 'not_available', durationMs: 0, message: 'not wired' },
        capacity: { status: 'healthy', durationMs: 8, details: { connection: PLANTED.azure } },
        pgbouncer: { status: 'disabled', durationMs: 0 },
      },
      issues: [
        {
          severity: 'warning',
          component: 'performance',
          message: 'Query <script>alert(1)</script> is slow',
          action: 'Create the recommended index.',
        },
        {
          severity: 'critical',
          component: 'backup',
          message: `Upload failed: ${PLANTED.azure}`,
          action: 'Check storage credentials.',
        },
      ],
    },
    slowQueries: [
      {
        query: 'SELECT * FROM bookings WHERE status = $1 AND check_in >= $2',
        calls: 1200,
        meanMs: 812.4,
        totalMs: 974880,
      },
      { query: 'SELECT * FROM guests WHERE email = $1', calls: 5400, meanMs: 120.2, totalMs: 649080 },
    ],
    indexRecommendations: [
      {
        table: 'public.bookings',
        columns: ['status', 'check_in'],
        priority: 1,
        createSql:
          'CREATE INDEX CONCURRENTLY "bookings_status_check_in_idx" ON "public"."bookings" ("status", "check_in")',
        estimatedCostReduction: 0.92,
        validated: true,
      },
      {
        table: 'public.guests',
        columns: ['email'],
        priority: 2,
        createSql: 'CREATE INDEX CONCURRENTLY "guests_email_idx" ON "public"."guests" ("email")',
        estimatedCostReduction: 0.71,
        validated: true,
      },
    ],
    backups: [
      {
        backupId: '20261126T020000Z-a1b2',
        database: 'hotel',
        type: 'logical',
        createdAt: new Date(now - 3600_000).toISOString(),
        sizeBytes: 73_400_320,
        verification: 'passed',
        verifiedAt: new Date(now - 1800_000).toISOString(),
      },
      {
        backupId: '20261125T020000Z-c3d4',
        database: 'hotel',
        type: 'logical',
        createdAt: new Date(now - day).toISOString(),
        sizeBytes: 72_100_000,
        verification: 'unverified',
      },
    ],
    capacity: {
      metric: 'database size',
      unit: 'MB',
      history: Array.from({ length: 30 }, (_, i) => ({
        t: new Date(now - (29 - i) * day).toISOString(),
        v: 700 + i * 9 + (i % 3) * 4,
      })),
      forecast: Array.from({ length: 30 }, (_, i) => ({
        t: new Date(now + (i + 1) * day).toISOString(),
        v: 961 + (i + 1) * 9,
        lower: 961 + (i + 1) * 7,
        upper: 961 + (i + 1) * 11.5,
      })),
      limit: 1300,
      daysUntilFull: 29.5,
      growthPerDay: 9,
      model: 'linear',
    },
  };
}

export function fakeTarget(overrides: Partial<SuiteHandlerTarget> = {}): SuiteHandlerTarget & { actionRuns: string[] } {
  const metrics = createMetrics();
  metrics.gauge({ name: 'db_capacity_usage_percent', help: 'usage' }).set(42);
  const actionRuns: string[] = [];
  return {
    registry: metrics.registry,
    getComprehensiveStatus: async () => samplePageData().status,
    checkReady: async () => ({ ready: true }),
    getStatusPageData: async () => samplePageData(),
    actions: {
      maintenance: {
        label: 'Run maintenance cycle',
        run: async ({ actor }) => {
          actionRuns.push(actor);
          return { tasksCompleted: 1 };
        },
      },
    },
    actionRuns,
    ...overrides,
  };
}

export function assertNoSecrets(text: string): string[] {
  return Object.entries(PLANTED)
    .filter(([, secret]) => text.includes(secret))
    .map(([name]) => name);
}
