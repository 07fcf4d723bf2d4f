DROP TABLE legacy_rates;
