/**
 * Serves a built page folder over http://127.0.0.1 (WebGPU needs a secure context; localhost
 * counts as one). `npm run web` builds web-dist/ first and then serves it:
 *
 *   npm run web [-- --port 8080] [-- --host 127.0.0.1] [-- --no-build]
 */
import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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

/** Timeouts of {@link startStaticServer}; the defaults are Node's. */
export interface StaticServerOptions {
  /** How long a client may take to send a request's line and headers, in ms (default 60 s): 408 after it. */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request, in ms (default 300 s, at least headersTimeoutMs): 408 after it. */
  requestTimeoutMs?: number;
}

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

/** The longest request target served (as nginx's default 8 KiB request-line buffers); longer ones get 414. */
const MAX_URL_LENGTH = 8192;

/**
 * Filesystem codes that mean "there is no such file to serve here": a missing part, a file where a
 * folder was expected, a name or path too long, a symlink loop or a symlink where none may be
 * (O_NOFOLLOW), something that is not a plain file. 404, never 500.
 */
const NO_SUCH_PATH = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP', 'EINVAL', 'ENXIO', 'ENODEV']);

/** Opened read-only, without following a symlink in the last part, and without blocking on a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * The file a request asks for, under `base`, or a Refusal: only GET and HEAD (405), a path that
 * decodes (a lone '%' is 400, not a crash), no NUL bytes (400), nothing outside the folder (403),
 * and on a loopback address only Host headers naming the loopback (403: a page elsewhere that
 * points its own host name at 127.0.0.1, DNS rebinding, cannot read the folder).
 */
function requestedPath(request: IncomingMessage, base: string, loopbackOnly: boolean): string {
  if (request.method !== 'GET' && request.method !== 'HEAD') throw new Refusal(405, 'only GET and HEAD');
  if ((request.url ?? '').length > MAX_URL_LENGTH) throw new Refusal(414, 'URL too long');
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

/** True when the absolute path `path` is `folder` or lies under it. */
function isWithin(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * The real path of the file `handle` holds open, as the kernel knows it (/proc/self/fd on Linux),
 * or `checked` where there is no /proc: that is what it was opened by, so a folder along the way
 * swapped for a symlink between the check and the open goes unseen there (Node has no openat).
 */
async function openedPath(handle: FileHandle, checked: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return checked;
  }
}

/**
 * Opens the plain file at `path` (a folder's index.html for a folder) if its real path lies in
 * `realBase`, or throws: a filesystem error, or a Refusal 404 for anything outside (a symlink out,
 * to a folder or a file). 404 rather than 403 there: a 403 would tell a client that the target
 * exists outside the folder. The real path is resolved first (so nothing outside is ever opened),
 * opened without following a symlink in its last part, and the opened file's own real path checked
 * again, so the file served is the file checked, read from the one descriptor.
 */
async function openWithin(realBase: string, path: string, folderIndex = true): Promise<{ handle: FileHandle; path: string }> {
  const outside = new Refusal(404, 'not found');
  const real = await realpath(path);
  if (!isWithin(realBase, real)) throw outside;
  const handle = await open(real, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!isWithin(realBase, await openedPath(handle, real))) throw outside;
    if (stats.isDirectory() && folderIndex) {
      await handle.close();
      return openWithin(realBase, join(path, 'index.html'), false);
    }
    if (!stats.isFile()) throw outside;
    return { handle, path };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The status for a request that Node's parser refused: 408 when the client took too long (headersTimeout
 * or requestTimeout), 414 when the request line alone overflowed the 16 KiB header limit (the
 * packet that overflowed starts with a request line whose target is longer than MAX_URL_LENGTH),
 * 431 for other oversized headers, 400 otherwise.
 */
function clientErrorStatus(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): string {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (error.code !== 'HPE_HEADER_OVERFLOW') return '400 Bad Request';
  const start = error.rawPacket?.subarray(0, MAX_URL_LENGTH + 64).toString('latin1') ?? '';
  const target = /^[A-Z]+ (\S*)/.exec(start)?.[1] ?? '';
  return target.length > MAX_URL_LENGTH ? '414 URI Too Long' : '431 Request Header Fields Too Large';
}

/**
 * Serves the files under `root` on host:port (port 0 picks a free one). Every request gets an
 * answer (a file, or 4xx/5xx) and no request can stop the server: malformed ones (bad URLs, bad
 * request lines, huge headers) get 4xx, paths that name no file here 404, and only genuine faults
 * (say, too many open files) 500; a client that goes away mid-answer is dropped. Only plain files
 * whose real path lies under the real path of `root` are served: symlinks within the folder are
 * followed, symlinks out of it are 404.
 *
 * A client that sends part of a request and then nothing more gets 408 after
 * `options.headersTimeoutMs` (or requestTimeoutMs for the whole request), as Node's default
 * answer does; one that never sent a byte is closed without an answer, as nginx does (it made no
 * request to answer; browsers open such speculative connections). Idle keep-alive connections
 * close silently after Node's keepAliveTimeout (5 s).
 */
export async function startStaticServer(root: string, port = 0, host = '127.0.0.1', options: StaticServerOptions = {}): Promise<StaticServer> {
  const base = resolve(root);
  const realBase = await realpath(base);
  const loopbackOnly = LOOPBACK.has(host);
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 300_000, headersTimeout);
  const serverOptions = {
    headersTimeout,
    requestTimeout,
    // How often Node looks for requests past those timeouts (its default, 30 s, would make a 1 s timeout 30 s).
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeout / 4))),
  };
  const server = createServer(serverOptions, (request, response) => {
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
      let file: { handle: FileHandle; path: string } | undefined;
      try {
        file = await openWithin(realBase, path);
        const body = await file.handle.readFile();
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file.path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const status = error instanceof Refusal ? error.status : NO_SUCH_PATH.has(code ?? '') ? 404 : code === 'EACCES' || code === 'EPERM' ? 403 : 500;
        if (!response.headersSent) response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 404 ? 'not found' : 'cannot read');
        else response.destroy();
      } finally {
        await file?.handle.close().catch(() => undefined);
      }
    })();
  });
  // A request Node cannot parse or that came too slowly: 4xx (clientErrorStatus), never a crash.
  // Nothing is written after bytes of an answer went out, nor to a client that never sent a byte.
  server.on('clientError', (error: NodeJS.ErrnoException, duplex) => {
    const socket = duplex as Socket;
    if (!socket.writable || socket.bytesWritten > 0 || socket.bytesRead === 0) return socket.destroy();
    socket.end(`HTTP/1.1 ${clientErrorStatus(error)}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
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
