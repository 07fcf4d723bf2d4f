/**
 * Test infrastructure stays silent so test output stays readable; set
 * DBRS_TEST_DEBUG=1 to see what the harness starts and why it fails.
 */
export function debugEnabled(): boolean {
  const value = process.env['DBRS_TEST_DEBUG'];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

export function debugLog(scope: string, message: string): void {
  if (debugEnabled()) process.stderr.write(`[db-testing:${scope}] ${message}\n`);
}
