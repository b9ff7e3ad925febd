/**
 * Builds and serves an example page of examples/<name>/ (default: catch): bundles its play.js
 * with esbuild into examples/<name>/dist/play.js (the policy runtime and the example's env,
 * nothing else of the engine), then serves the folder on http://127.0.0.1.
 *
 *   npm run example:catch [-- --port 8081] [-- --no-serve]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startStaticServer } from './serve-web.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The example's folder. */
export function exampleDir(name: string): string {
  return resolve(ROOT, 'examples', name);
}

/**
 * Bundles examples/<name>/play.js into examples/<name>/dist/play.js; `webgpu-rl-engine/policy`
 * resolves to the source (src/policy), so no `npm run build` is needed first. Returns the bundle's size in bytes.
 */
export async function buildExample(name: string): Promise<number> {
  const dir = exampleDir(name);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [resolve(dir, 'play.js')],
    outfile: resolve(dir, 'dist', 'play.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    alias: { 'webgpu-rl-engine/policy': resolve(ROOT, 'src/policy/index.ts') },
    logLevel: 'silent',
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('play.js'));
  return output?.[1].bytes ?? 0;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const name = argv.find((arg, i) => !arg.startsWith('--') && !(i > 0 && argv[i - 1] === '--port')) ?? 'catch';
  const port = Number(flag(argv, '--port') ?? 8081);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port expects a port number, got '${flag(argv, '--port')}'`);
  const bytes = await buildExample(name);
  process.stdout.write(`built examples/${name}/dist/play.js (${bytes} bytes)\n`);
  if (argv.includes('--no-serve')) return;
  const { url } = await startStaticServer(exampleDir(name), port);
  process.stdout.write(`serving examples/${name} at ${url}  (open it in a browser; Ctrl-C stops)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
