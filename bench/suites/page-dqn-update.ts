/**
 * Opt-in (`npm run bench -- --only page-dqn-update`): DqnAgent.update measured in the browser, in
 * a dedicated Web Worker of a bench page (bench/page) served from 127.0.0.1 to Debian's Chromium
 * (headless, --enable-unsafe-webgpu, driven by playwright-core): on the WebGPU backend (SwiftShader's
 * Vulkan where there is no GPU, as here) and on the CPU backend, MLPs 4-64-64-2 and 4-256-256-2,
 * batch 64, issue 10's update. Reports updates/s (medians of interleaved blocks) and the
 * dispatches, submits and readbacks per update from backend.stats(). Console errors, page errors
 * and failed requests on the page are reported with the figures (and fail the suite when there are
 * no figures). BENCH_PAGE_REPEATS sets the repeats (default 7); CHROMIUM_PATH the browser.
 */
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, PageProblems, launchChromium } from '../../test/support/browser-page.js';
import { serveBenchPage } from '../page/serve.js';
import type { PageBenchRequest } from '../page/protocol.js';

const REPEATS = Number(process.env.BENCH_PAGE_REPEATS ?? 7);
const SECONDS_PER_BLOCK = 0.25;
/** The whole measurement in the page may take this long before the suite gives up. */
const PAGE_TIMEOUT_MS = 540_000;

export default async function pageDqnUpdateSuite(): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH, or apt-get install chromium)`);
  const served = await serveBenchPage();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems = new PageProblems(page);
    await page.goto(served.url);
    const request: PageBenchRequest = { repeats: REPEATS, secondsPerBlock: SECONDS_PER_BLOCK };
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    const figures = await Promise.race([
      page.evaluate((r) => window.runDqnBench(r), request),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the bench page took over ${PAGE_TIMEOUT_MS / 1000} s`)), PAGE_TIMEOUT_MS).unref()),
    ]);
    return {
      browser: `${CHROMIUM_PATH} ${browser.version()}`,
      ...figures,
      ...(problems.messages.length > 0 ? { pageProblems: problems.messages } : {}),
    };
  } finally {
    await browser.close();
    await served.close();
  }
}
