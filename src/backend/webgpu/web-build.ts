/**
 * esbuild settings for bundling the WebGPU backend for a browser: swap the platform seam
 * (platform.ts -> platform-browser.ts) and load shaders/*.wgsl as text.
 *
 * ```ts
 * await esbuild.build({ entryPoints: ['src/web/main.ts'], bundle: true, format: 'esm',
 *   plugins: [webgpuBrowserPlugin], ... });
 * ```
 * Only types are imported from esbuild, so this module costs nothing at run time.
 */
import type { Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

// platform-browser.ts beside this file in src/, platform-browser.js in dist/.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const browserPlatform = fileURLToPath(new URL(`./platform-browser.${ownExtension}`, import.meta.url));

/** Redirects `./platform.js` imports inside src/backend/webgpu to platform-browser.ts; `.wgsl` loads as text. */
export const webgpuBrowserPlugin: Plugin = {
  name: 'webgpu-browser-platform',
  setup(build) {
    build.onResolve({ filter: /^\.\/platform\.js$/ }, (args) => {
      if (!/[\\/]backend[\\/]webgpu$/.test(args.resolveDir)) return undefined;
      return { path: browserPlatform };
    });
    const loader = build.initialOptions.loader ?? {};
    build.initialOptions.loader = { ...loader, '.wgsl': 'text' };
  },
};
