/**
 * Builds the browser page into a static folder (default web-dist/): main.js (the page), worker.js
 * (the training worker that owns the backend), style.css (with uPlot's) and index.html. The
 * WebGPU backend's Node modules (NAME-node.ts) are swapped for their browser twins and
 * shaders/*.wgsl are inlined as text (webgpuBrowserPlugin), so the bundle holds no Node built-in.
 *
 *   npm run build:web [-- --out dir] [-- --no-minify]
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { webgpuBrowserPlugin } from '../src/backend/webgpu/web-build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The default output folder, relative to the package root. */
export const DEFAULT_WEB_OUT = 'web-dist';

export interface BuildWebOptions {
  /** Output folder (default web-dist/ in the package root); emptied first. */
  outDir?: string;
  /** Minify the bundles (default true). */
  minify?: boolean;
  /** Write source maps (default true). */
  sourcemap?: boolean;
}

export interface BuildWebResult {
  outDir: string;
  /** Output files (relative to outDir) and their sizes in bytes. */
  files: Record<string, number>;
}

/** Bundles the page; throws on any esbuild error or on a Node built-in reaching the bundle. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<BuildWebResult> {
  const outDir = resolve(ROOT, options.outDir ?? DEFAULT_WEB_OUT);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: 'src/web/main.ts',
      worker: 'src/web/worker.ts',
      style: 'src/web/style.css',
    },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome113'],
    minify: options.minify ?? true,
    sourcemap: options.sourcemap ?? true,
    metafile: true,
    logLevel: 'silent',
    plugins: [webgpuBrowserPlugin],
  });
  assertBrowserSafe(result.metafile);
  await copyFile(join(ROOT, 'src/web/index.html'), join(outDir, 'index.html'));
  const files: Record<string, number> = { 'index.html': 0 };
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    files[path.slice(path.lastIndexOf('/') + 1)] = output.bytes;
  }
  return { outDir, files };
}

/** Fails the build if a Node built-in or the Dawn binding was pulled into a bundle. */
function assertBrowserSafe(metafile: Metafile): void {
  const offenders = Object.keys(metafile.inputs).filter((input) => /^node:|(^|\/)node_modules\/webgpu\/|backend\/webgpu\/[^/]+-node\.ts$/.test(input));
  if (offenders.length > 0) throw new Error(`build-web: Node-only modules reached the browser bundle: ${offenders.join(', ')}`);
}

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const outDir = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const started = performance.now();
  const { outDir: dir, files } = await buildWeb({ outDir, minify: !argv.includes('--no-minify') });
  const list = Object.entries(files)
    .filter(([name]) => !name.endsWith('.map'))
    .map(([name, bytes]) => `${name} ${bytes > 0 ? `${(bytes / 1024).toFixed(0)} KiB` : ''}`.trim())
    .join(', ');
  process.stdout.write(`built ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${list}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
