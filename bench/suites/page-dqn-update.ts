/**
 * Opt-in (`npm run bench -- --only page-dqn-update`): DqnAgent.update measured in the browser, in
 * a dedicated Web Worker of a bench page (bench/page) served from 127.0.0.1 to Debian's Chromium
 * (headless, --enable-unsafe-webgpu, driven by playwright-core): on the WebGPU backend (SwiftShader's
 * Vulkan where there is no GPU, as here) and on the CPU backend, MLPs 4-64-64-2 and 4-256-256-2,
 * batch 64, issue 10's update. Reports updates/s (medians of interleaved blocks) and the
 * dispatches, submits and readbacks per update from backend.stats(). Console errors, page errors
 * and failed requests on the page are reported beside the figures. BENCH_PAGE_REPEATS sets the
 * repeats (default 7); CHROMIUM_PATH the browser.
 */
import type { MatmulPath } from '../../src/backend/webgpu/webgpu-ops.js';
import { runPageBench } from '../page/drive.js';

const REPEATS = Number(process.env.BENCH_PAGE_REPEATS ?? 7);
/** BENCH_PAGE_PATHS=auto,blocked,... measures the WebGPU backend with each matmul path (an A/B of the layer kernels). */
const PATHS = (process.env.BENCH_PAGE_PATHS ?? 'auto').split(',') as MatmulPath[];
const SECONDS_PER_BLOCK = 0.25;
/** The whole measurement in the page may take this long before the suite gives up. */
const PAGE_TIMEOUT_MS = 540_000;

export default async function pageDqnUpdateSuite(): Promise<Record<string, unknown>> {
  const run = await runPageBench({ repeats: REPEATS, secondsPerBlock: SECONDS_PER_BLOCK, webgpuPaths: PATHS }, PAGE_TIMEOUT_MS);
  return { browser: run.browser, ...run.figures, ...(run.problems.length > 0 ? { pageProblems: run.problems } : {}) };
}
