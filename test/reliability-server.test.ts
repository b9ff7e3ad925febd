/**
 * The page's server (`npm run web`: scripts/serve-web.ts) as a real child process, sent malformed
 * requests over raw TCP: each gets a 4xx answer, and the server keeps serving afterwards. The
 * served folder holds symlinks out of it and within it. Test titles start with their id in
 * docs/reliability.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer } from '../scripts/serve-web.js';
import { root } from './support/cli-process.js';

let folder: string;
/** A folder beside the served one, holding a secret that no request may read. */
let outside: string;
let server: ChildProcess;
let port = 0;
let serverOutput = '';

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'serve-web-'));
  writeFileSync(join(folder, 'index.html'), '<!doctype html><title>page</title>');
  outside = mkdtempSync(join(tmpdir(), 'serve-web-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, join(folder, 'out'));
  symlinkSync(join(outside, 'secret.txt'), join(folder, 'secret.txt'));
  mkdirSync(join(folder, 'sub'));
  writeFileSync(join(folder, 'sub', 'page.txt'), 'inside');
  symlinkSync(join('sub', 'page.txt'), join(folder, 'page-link.txt'));
  symlinkSync('sub', join(folder, 'sub-link'));
  server = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'serve-web.ts'), '--no-build', '--dir', folder, '--port', '0'], { cwd: root });
  server.stderr?.setEncoding('utf8').on('data', (text: string) => (serverOutput += text));
  port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    server.stdout?.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (match) resolvePort(Number(match[1]));
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${serverOutput}`)));
  });
});

afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(folder, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

/**
 * Sends `raw` over a fresh TCP connection and returns the status line's code: 0 if the server
 * closed the connection without one, -1 if it was still open after 5 s.
 */
function send(raw: string, to = port): Promise<number> {
  return new Promise((resolveStatus) => {
    const socket = connect(to, '127.0.0.1');
    let answer = '';
    let waitedOut = false;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.on('error', () => undefined);
    socket.on('close', () => resolveStatus(waitedOut ? -1 : Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.write(raw);
    socket.setTimeout(5_000, () => {
      waitedOut = true;
      socket.destroy();
    });
  });
}

const request = (line: string, headers = 'host: 127.0.0.1\r\n') => `${line}\r\n${headers}connection: close\r\n\r\n`;

const BAD_REQUESTS: [string, string, string, number][] = [
  ['server-lone-percent', 'a lone % in the path', request('GET /% HTTP/1.1'), 400],
  ['server-bad-escape', 'a truncated escape', request('GET /%E0%A4%A HTTP/1.1'), 400],
  ['server-nul-byte', 'an escaped NUL byte', request('GET /index.html%00.png HTTP/1.1'), 400],
  ['server-outside-folder', 'escaped ../ out of the folder', request('GET /..%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1'), 403],
  ['server-missing-file', 'a file that is not there', request('GET /nope.js HTTP/1.1'), 404],
  ['server-post', 'POST', request('POST / HTTP/1.1', 'host: 127.0.0.1\r\ncontent-length: 0\r\n'), 405],
  ['server-not-http', 'a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
  ['server-huge-headers', 'headers of 100 kB', request('GET / HTTP/1.1', `host: 127.0.0.1\r\nx-big: ${'a'.repeat(100_000)}\r\n`), 431],
  ['server-foreign-host', 'another host name pointed at 127.0.0.1 (DNS rebinding)', request('GET / HTTP/1.1', 'host: evil.example\r\n'), 403],
  // 404, not 403: a 403 would say that the target exists outside, which is itself a leak.
  ['server-symlink-out', 'a file under a symlink to a folder outside', request('GET /out/secret.txt HTTP/1.1'), 404],
  ['server-symlink-file-out', 'a symlink to a file outside', request('GET /secret.txt HTTP/1.1'), 404],
  ['server-long-segment', 'a 300-character path segment (longer than a file name can be)', request(`GET /${'a'.repeat(300)}.js HTTP/1.1`), 404],
  ['server-long-url', 'a URL of 10,000 characters (over the 8 KiB limit)', request(`GET /${'a/'.repeat(5_000)} HTTP/1.1`), 414],
  ['server-longer-url', 'a URL of 20,000 characters (over Node\'s 16 KiB header limit)', request(`GET /${'a'.repeat(20_000)} HTTP/1.1`), 414],
];

describe('the page server answers bad requests with 4xx and never exits', () => {
  for (const [id, what, raw, status] of BAD_REQUESTS) {
    it(`[${id}] ${what}: ${status}`, async () => {
      expect(await send(raw)).toBe(status);
      expect(server.exitCode).toBeNull();
    });
  }

  it('[server-symlink-inside] serves symlinks that stay inside the folder (to a file, to a folder)', async () => {
    expect(await send(request('GET /page-link.txt HTTP/1.1'))).toBe(200);
    expect(await send(request('GET /sub-link/page.txt HTTP/1.1'))).toBe(200);
  });

  it('[server-still-serving] still serves the page after all of them', async () => {
    expect(await send(request('GET / HTTP/1.1'))).toBe(200);
    expect(await send(request('HEAD /index.html HTTP/1.1'))).toBe(200);
    expect(server.exitCode).toBeNull();
    expect(serverOutput).toBe('');
  });
});

describe('the page server times out idle clients', () => {
  it('[server-idle-408] a partial request left idle gets 408; a connection that never sent a byte is closed without an answer', async () => {
    const idle = await startStaticServer(folder, 0, '127.0.0.1', { headersTimeoutMs: 1_000 });
    try {
      const [partial, silent] = await Promise.all([send('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n', idle.port), send('', idle.port)]);
      expect(partial).toBe(408);
      expect(silent).toBe(0);
    } finally {
      await idle.close();
    }
  });
});
