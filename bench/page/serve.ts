/**
 * Builds the bench page in memory (main.js, worker.js; esbuild with the settings the demo page and
 * the browser tests use: ESM, browser platform, webgpuBrowserPlugin for the WebGPU backend's
 * browser twins and inlined WGSL) and serves it with index.html on 127.0.0.1 (navigator.gpu needs a
 * secure context; loopback is one).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { webgpuBrowserPlugin } from '../../src/backend/webgpu/web-build.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface ServedPage {
  /** http://127.0.0.1:PORT/ */
  url: string;
  close(): Promise<void>;
}

async function buildPage(): Promise<Map<string, string>> {
  const result = await build({
    absWorkingDir: HERE,
    entryPoints: { main: 'main.ts', worker: 'worker.ts' },
    outdir: 'out',
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome113'],
    logLevel: 'silent',
    plugins: [webgpuBrowserPlugin],
  });
  const files = new Map<string, string>();
  for (const file of result.outputFiles) files.set(`/${file.path.slice(file.path.lastIndexOf('/') + 1)}`, file.text);
  files.set('/', await readFile(new URL('./index.html', import.meta.url), 'utf8'));
  return files;
}

export async function serveBenchPage(): Promise<ServedPage> {
  const files = await buildPage();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const body = files.get(path);
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = path.endsWith('.js') ? 'text/javascript' : 'text/html';
    response.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
