/**
 * Serves a built page folder over http://127.0.0.1 (WebGPU needs a secure context; localhost
 * counts as one). `npm run web` builds web-dist/ first and then serves it:
 *
 *   npm run web [-- --port 8080] [-- --host 127.0.0.1] [-- --no-build]
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
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

/** Serves the files under `root` on host:port (port 0 picks a free one). Paths outside root get 404. */
export async function startStaticServer(root: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  const base = resolve(root);
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      let path = normalize(join(base, decodeURIComponent(url.pathname)));
      if (path !== base && !path.startsWith(base + sep)) {
        response.writeHead(403).end('forbidden');
        return;
      }
      try {
        if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
        const body = await readFile(path);
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
        response.end(body);
      } catch {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    })();
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
