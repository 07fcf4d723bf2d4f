export type AlertType = 'warning' | 'critical';

export interface CapacityAlert {
  type: AlertType;
  /** What was compared, e.g. `storage_usage_percent`, `storage_days_until_full`, `xid_age`. */
  metric: string;
  /** The resource the alert is about: `storage`, `connections`, `xid`. */
  resource: string;
  message: string;
  value: number;
  threshold: number;
}

export interface AlertThresholds {
  /** Storage usage (% of the limit) for a warning. Default 80. */
  warningPercent: number;
  /** Storage usage for critical. Default 90. */
  criticalPercent: number;
  /** Pessimistic days until full below this → warning. Default 30. */
  daysWarning: number;
  /** Pessimistic days until full below this → critical. Default 7. */
  daysCritical: number;
  /** Connections in use (% of usable max_connections) for a warning. Default 80. */
  connectionsWarningPercent: number;
  /** Connections for critical. Default 95. */
  connectionsCriticalPercent: number;
  /** Transaction-id age (age(datfrozenxid)) for a warning. Default 1,000,000,000. */
  xidAgeWarning: number;
  /** Transaction-id age for critical. Default 1,500,000,000 (PgHero's dashboard line). */
  xidAgeCritical: number;
}

export interface HysteresisOptions {
  /** A percentage alert clears only this many points below its threshold. Default 5. */
  percentPoints: number;
  /** A days-until alert clears only above threshold × (1 + this). Default 0.2. */
  daysFraction: number;
  /** An xid-age alert clears only below threshold × (1 − this). Default 0.05. */
  xidFraction: number;
}

export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  warningPercent: 80,
  criticalPercent: 90,
  daysWarning: 30,
  daysCritical: 7,
  connectionsWarningPercent: 80,
  connectionsCriticalPercent: 95,
  xidAgeWarning: 1_000_000_000,
  xidAgeCritical: 1_500_000_000,
});

export const DEFAULT_HYSTERESIS: Readonly<HysteresisOptions> = Object.freeze({
  percentPoints: 5,
  daysFraction: 0.2,
  xidFraction: 0.05,
});
