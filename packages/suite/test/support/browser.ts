import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * One headless Chromium page for a test: launched with the machine's
 * Chromium, Playwright's profile directories kept in `scratch` (it writes
 * them to TMPDIR), and everything closed afterwards whatever `fn` does.
 * `extraArgs` are Chromium flags on top of the common ones.
 */
export async function withBrowserPage<T>(
  scratch: string,
  options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number }; extraArgs?: string[] },
  fn: (page: Page) => Promise<T>,
): Promise<T> {
  const { extraArgs = [], ...contextOptions } = options;
  const previousTmp = process.env['TMPDIR'];
  process.env['TMPDIR'] = scratch;
  // TMPDIR is put back whatever fails, the launch included: `scratch` is removed later, and a worker left
  // pointing at it would fail every later mkdtemp(tmpdir()).
  let browser: Browser | undefined;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        ...extraArgs,
      ],
    });
    const context = await browser.newContext(contextOptions);
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    return await fn(page);
  } finally {
    await browser?.close();
    if (previousTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previousTmp;
  }
}
