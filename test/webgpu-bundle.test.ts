/**
 * The browser seam: bundling the backends with webgpuBrowserPlugin swaps each NAME-node.ts of
 * src/backend/webgpu for its NAME-browser.ts twin (navigator.gpu, shaders inlined as text), so the
 * bundle holds every WGSL file and nothing Node-only (the `webgpu` package, node:fs, child processes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { SHADER_FILES } from '../src/backend/webgpu/kernels.js';
import { loadShaderSource } from '../src/backend/webgpu/shader-sources-node.js';
import { webgpuBrowserPlugin } from '../src/backend/webgpu/web-build.js';

describe('browser bundle of the WebGPU backend', () => {
  it('inlines every shader and imports nothing from Node', async () => {
    const result = await build({
      // The backends' index: the WebGPU backend and createBackend, which looks at the adapter first.
      entryPoints: [new URL('../src/backend/index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      plugins: [webgpuBrowserPlugin],
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const text = result.outputFiles[0].text;
    for (const file of SHADER_FILES) {
      const source = await loadShaderSource(file);
      // esbuild's text loader embeds the file as a JS string literal.
      expect(text).toContain(JSON.stringify(source).slice(1, 200));
    }
    expect(text).toContain('navigator.gpu');
    expect(text).not.toMatch(/from\s+["'](webgpu|node:[a-z/]+)["']/);
    expect(text).not.toContain('readFile');
    expect(text).not.toContain('spawn');
  });

  it('finds a browser twin with the same exports for every NAME-node.ts', () => {
    const dir = new URL('../src/backend/webgpu/', import.meta.url);
    const exportsOf = (file: string) =>
      [...readFileSync(new URL(file, dir), 'utf8').matchAll(/^export (?:async )?(?:function|const|class) (\w+)/gm)].map((m) => m[1]).sort();
    const nodeModules = readdirSync(dir).filter((f) => f.endsWith('-node.ts'));
    expect(nodeModules.sort()).toEqual(['device-node.ts', 'shader-sources-node.ts']);
    for (const file of nodeModules) {
      expect(exportsOf(file.replace(/-node\.ts$/, '-browser.ts')), file).toEqual(exportsOf(file));
    }
  });

  it('fails without the plugin (so the plugin is what makes it work)', async () => {
    const attempt = build({
      entryPoints: [new URL('../src/backend/webgpu/index.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    });
    await expect(attempt).rejects.toThrow();
  });
});
