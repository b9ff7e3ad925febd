/**
 * Runs the bench page in Debian's Chromium (playwright-core, --enable-unsafe-webgpu; see
 * test/support/browser-page.ts): serves it on 127.0.0.1, asks its worker to measure, and returns
 * the figures with every console error, page error and failed request seen meanwhile.
 */
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, PageProblems, launchChromium } from '../../test/support/browser-page.js';
import type { PageBenchRequest } from './protocol.js';
import { serveBenchPage } from './serve.js';

export interface PageBenchRun {
  /** The browser binary and its version. */
  browser: string;
  figures: Record<string, unknown>;
  problems: string[];
}

export async function runPageBench(request: PageBenchRequest, timeoutMs: number): Promise<PageBenchRun> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or apt-get install chromium)`);
  const served = await serveBenchPage();
  try {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = new PageProblems(page);
      page.setDefaultTimeout(timeoutMs);
      await page.goto(served.url);
      let timer: NodeJS.Timeout | undefined;
      const figures = await Promise.race([
        page.evaluate((r) => window.runDqnBench(r), request),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the bench page took over ${timeoutMs / 1000} s`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return { browser: `${CHROMIUM_PATH} ${browser.version()}`, figures, problems: problems.messages };
    } finally {
      await browser.close();
    }
  } finally {
    await served.close();
  }
}
