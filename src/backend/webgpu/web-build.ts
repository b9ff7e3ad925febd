/**
 * esbuild settings for bundling the WebGPU backend for a browser. Two things in this folder differ
 * between Node and a browser, each written twice with the same exports:
 *
 * - how a GPU device is had: device-node.ts (Dawn) / device-browser.ts (navigator.gpu);
 * - where shader text comes from: shader-sources-node.ts (shaders/ on disk) / shader-sources-browser.ts
 *   (shaders/*.wgsl inlined by esbuild's `text` loader).
 *
 * The code imports the `-node` twins; this plugin swaps every import of a NAME-node.js module of
 * src/backend/webgpu for NAME-browser, and loads `.wgsl` as text.
 *
 * ```ts
 * await esbuild.build({ entryPoints: ['src/web/main.ts'], bundle: true, format: 'esm',
 *   plugins: [webgpuBrowserPlugin], ... });
 * ```
 * Only types are imported from esbuild, so this module costs nothing at run time.
 */
import type { Plugin } from 'esbuild';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The twins sit beside this file: .ts in src/, .js in dist/.
const ownFile = fileURLToPath(import.meta.url);
const ownDir = dirname(ownFile);
const ownExtension = ownFile.endsWith('.ts') ? 'ts' : 'js';

/** The browser twin of a NAME-node.js module of this folder, or undefined for any other import. */
export function browserTwin(importPath: string, importerDir: string): string | undefined {
  const target = resolve(importerDir, importPath);
  const name = /^(.+)-node\.js$/.exec(basename(target))?.[1];
  if (name === undefined || dirname(target) !== ownDir) return undefined;
  return resolve(ownDir, `${name}-browser.${ownExtension}`);
}

/** Redirects imports of NAME-node.js modules of src/backend/webgpu to NAME-browser; `.wgsl` loads as text. */
export const webgpuBrowserPlugin: Plugin = {
  name: 'webgpu-browser-platform',
  setup(build) {
    build.onResolve({ filter: /-node\.js$/ }, (args) => {
      const twin = browserTwin(args.path, args.resolveDir);
      return twin === undefined ? undefined : { path: twin };
    });
    const loader = build.initialOptions.loader ?? {};
    build.initialOptions.loader = { ...loader, '.wgsl': 'text' };
  },
};
