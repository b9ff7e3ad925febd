/**
 * Serves a built page folder over http://127.0.0.1 (WebGPU needs a secure context; localhost
 * counts as one). `npm run web` builds web-dist/ first and then serves it:
 *
 *   npm run web [-- --port 8080] [-- --host 127.0.0.1] [-- --no-build]
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WEB_OUT, buildWeb } from './build-web.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.npz': 'application/octet-stream',
  '.wgsl': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  server: Server;
  /** http://host:port/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An answer to a request that cannot be served, with its status code. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The file a request asks for, under `base`, or a Refusal: only GET and HEAD (405), a path that
 * decodes (a lone '%' is 400, not a crash), no NUL bytes (400), nothing outside the folder (403),
 * and on a loopback address only Host headers naming the loopback (403: a page elsewhere that
 * points its own host name at 127.0.0.1, DNS rebinding, cannot read the folder).
 */
function requestedPath(request: IncomingMessage, base: string, loopbackOnly: boolean): string {
  if (request.method !== 'GET' && request.method !== 'HEAD') throw new Refusal(405, 'only GET and HEAD');
  if (loopbackOnly) {
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK.has(host)) throw new Refusal(403, 'forbidden host');
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  } catch {
    throw new Refusal(400, 'bad request path');
  }
  if (pathname.includes('\0')) throw new Refusal(400, 'bad request path');
  const path = normalize(join(base, pathname));
  if (path !== base && !path.startsWith(base + sep)) throw new Refusal(403, 'forbidden');
  return path;
}

/**
 * Serves the files under `root` on host:port (port 0 picks a free one). Every request gets an
 * answer (a file, or 4xx/5xx) and no request can stop the server: malformed ones (bad URLs, bad
 * request lines, huge headers) get 4xx, failed reads 404 or 500, and a client that goes away
 * mid-answer is dropped.
 */
export async function startStaticServer(root: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  const base = resolve(root);
  const loopbackOnly = LOOPBACK.has(host);
  const server = createServer((request, response) => {
    request.on('error', () => response.destroy());
    response.on('error', () => undefined);
    void (async () => {
      let path: string;
      try {
        path = requestedPath(request, base, loopbackOnly);
      } catch (error) {
        const refusal = error instanceof Refusal ? error : new Refusal(400, 'bad request');
        response.writeHead(refusal.status, { 'content-type': 'text/plain', ...(refusal.status === 405 ? { allow: 'GET, HEAD' } : {}) }).end(refusal.message);
        return;
      }
      try {
        if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
        const body = await readFile(path);
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const status = code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? 404 : code === 'EACCES' ? 403 : 500;
        if (!response.headersSent) response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 404 ? 'not found' : 'cannot read');
        else response.destroy();
      }
    })();
  });
  // A request line or headers Node cannot parse: 400 (431 for oversized headers), never a crash.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host}:${actual}/`,
    port: actual,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const port = Number(flag(argv, '--port') ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port expects a port number, got '${flag(argv, '--port')}'`);
  const host = flag(argv, '--host') ?? '127.0.0.1';
  const dir = flag(argv, '--dir') ?? DEFAULT_WEB_OUT;
  if (!argv.includes('--no-build')) {
    const { outDir } = await buildWeb({ outDir: dir });
    process.stdout.write(`built ${outDir}\n`);
  }
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)), dir);
  const { url } = await startStaticServer(root, port, host);
  process.stdout.write(`serving the DQN demo at ${url}  (open it in Chrome; Ctrl-C stops)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
