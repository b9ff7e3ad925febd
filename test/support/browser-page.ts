/**
 * A real Chromium page for browser tests: Debian's chromium driven by playwright-core with
 * WebGPU enabled, every console error, page error and failed request collected so a test can
 * fail on any. With CI=true a missing browser is an error, never a skip; elsewhere the browser
 * tests are skipped and counted in the run's last line (see requirements.ts).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { failOnCi } from './requirements.js';

/** The Chromium binary (CHROMIUM_PATH overrides Debian's /usr/bin/chromium). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the browser tests can run here; throws under CI=true when they cannot. */
export function chromiumAvailable(): boolean {
  const available = existsSync(CHROMIUM_PATH);
  if (!available) failOnCi(`no Chromium at ${CHROMIUM_PATH}`);
  return available;
}

/**
 * Launches Chromium with WebGPU on (SwiftShader where there is no GPU), or, with
 * `{ webgpu: false }`, without the flag: Debian's Chromium then offers no adapter.
 */
export function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = options.webgpu === false ? [] : ['--enable-unsafe-webgpu'];
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/** Problems seen on a page: console errors, uncaught exceptions, failed requests. */
export class PageProblems {
  readonly messages: string[] = [];

  constructor(page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.messages.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.messages.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => this.messages.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? ''})`));
    page.on('response', (response) => {
      if (response.status() >= 400) this.messages.push(`HTTP ${response.status()}: ${response.url()}`);
    });
  }
}

/** Files a test page needs, by URL path: their content type and body. */
export type ServedFiles = Record<string, [contentType: string, body: string | Uint8Array]>;

/** Serves `files` from memory on 127.0.0.1 (404 for any other path); `url` ends with '/'. */
export async function serveFiles(files: ServedFiles): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.[0] ?? 'text/plain' });
    res.end(file?.[1] ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
