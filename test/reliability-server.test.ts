/**
 * The page's server (`npm run web`: scripts/serve-web.ts) as a real child process, sent malformed
 * requests over raw TCP: each gets a 4xx answer, and the server keeps serving afterwards. Test
 * titles start with their id in docs/reliability.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './support/cli-process.js';

let folder: string;
let server: ChildProcess;
let port = 0;
let serverOutput = '';

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'serve-web-'));
  writeFileSync(join(folder, 'index.html'), '<!doctype html><title>page</title>');
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
});

/** Sends `raw` over a fresh TCP connection and returns the status line's code (0 if the connection closed without one). */
function send(raw: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.on('error', () => undefined);
    socket.on('close', () => resolveStatus(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.write(raw);
    socket.setTimeout(5_000, () => socket.destroy());
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
];

describe('the page server answers bad requests with 4xx and never exits', () => {
  for (const [id, what, raw, status] of BAD_REQUESTS) {
    it(`[${id}] ${what}: ${status}`, async () => {
      expect(await send(raw)).toBe(status);
      expect(server.exitCode).toBeNull();
    });
  }

  it('[server-still-serving] still serves the page after all of them', async () => {
    expect(await send(request('GET / HTTP/1.1'))).toBe(200);
    expect(await send(request('HEAD /index.html HTTP/1.1'))).toBe(200);
    expect(server.exitCode).toBeNull();
    expect(serverOutput).toBe('');
  });
});
