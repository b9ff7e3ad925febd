/**
 * The training CLI as a real child process (`node bin/train.js`, the compiled dist/), for tests that
 * check what a user sees: exit code, stdout, stderr, files left behind. Also the few file
 * manipulations those tests share (a run to start from, a flipped bit, an edited checkpoint).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { NdArray } from '../../src/io/npy.js';
import { readNpz, writeNpz } from '../../src/io/npz.js';

export const root = resolve(import.meta.dirname, '..', '..');
export const bin = join(root, 'bin', 'train.js');

/** Builds dist/ when missing (the CLI runs the compiled engine). */
export function ensureBuilt(): void {
  if (!existsSync(join(root, 'dist', 'cli', 'train.js'))) execFileSync('npm', ['run', 'build'], { cwd: root });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A quick CPU run: tiny network, no evaluation, no GIF. */
export const QUICK = ['--backend', 'cpu', '--hidden', '8', '--learning-starts', '100', '--train-freq', '4', '--batch-size', '16', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, FORCE_COLOR: '0', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...extra };
}

/** Runs the CLI to its end (killed after `timeoutMs`: a hang fails the test with signal SIGKILL). */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  return runCliBin(bin, args, cwd, env, timeoutMs);
}

/** runCli with another copy of bin/train.js (a package copy with a broken file, say). */
export function runCliBin(binPath: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [binPath, ...args], { cwd, encoding: 'utf8', env: childEnv(env), timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI; `onStdout` sees the output so far after every chunk. */
export function startCli(args: string[], cwd: string, onStdout: (text: string, child: ChildProcess) => void, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: childEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    onStdout(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    }),
  );
}

/**
 * stderr without the limit notices Dawn's native code prints whenever it creates a device
 * ("Warning: maxDynamic... artificially reduced ..."): no JavaScript can catch them (README).
 */
export function withoutDawnNotices(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^Warning: .*artificially reduced/.test(line))
    .join('\n');
}

/** `bytes` with bit `bit` of byte `index` flipped. */
export function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] ^= 1 << bit;
  return out;
}

/** A checkpoint with its checkpoint.json edited (and re-zipped with correct CRCs, so only the edit is wrong). */
export function editCheckpoint(bytes: Uint8Array, edit: (header: { meta: Record<string, unknown> } & Record<string, unknown>) => void): Uint8Array {
  const files = unzipSync(bytes);
  const header = JSON.parse(new TextDecoder().decode(files['checkpoint.json'])) as { meta: Record<string, unknown> };
  edit(header);
  files['checkpoint.json'] = new TextEncoder().encode(JSON.stringify(header));
  return zipSync(files, { level: 0 });
}

/**
 * A weights file with its `network` record (the JSON) and its arrays (by entry name) edited, written
 * again as a valid .npz (correct CRCs and headers), so only the edit is wrong.
 */
export function editWeightsFile(bytes: Uint8Array, edit: (network: Record<string, unknown>, arrays: Map<string, NdArray>) => void): Uint8Array {
  const arrays = readNpz(bytes, 'weights');
  const network = JSON.parse(new TextDecoder().decode(arrays.get('network')?.data as Uint8Array)) as Record<string, unknown>;
  arrays.delete('network');
  edit(network, arrays);
  const data = new TextEncoder().encode(JSON.stringify(network));
  return writeNpz({ ...Object.fromEntries(arrays), network: { dtype: '|u1', shape: [data.length], data } });
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Whether this machine lets an unprivileged user make a mount namespace (`unshare -Urm`), for small and read-only mounts. */
export function canUnshareMount(): boolean {
  return spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs the CLI in a private mount namespace where `mountPoint` is a tmpfs of `sizeKiB` (read-only
 * with `readOnly`); nothing outside the child sees the mount, and it goes away with the child.
 */
export function runCliOnMount(args: string[], cwd: string, mountPoint: string, sizeKiB: number, readOnly = false): CliResult {
  return runScriptOnMount('exec "$NODE" "$BIN" "$@"', args, cwd, mountPoint, sizeKiB, readOnly);
}

/**
 * Runs the shell `script` in a private mount namespace where `mountPoint` is a tmpfs of `sizeKiB`
 * (see runCliOnMount): `$MNT` is the mount point, the function `cli` runs the CLI, and "$@" holds `args`. For
 * cases that need the mount prepared (filled up) or several CLI runs on the same mount.
 */
export function runScriptOnMount(script: string, args: string[], cwd: string, mountPoint: string, sizeKiB: number, readOnly = false): CliResult {
  const mount = `mount -t tmpfs -o size=${sizeKiB}k${readOnly ? ',ro' : ''} tmpfs "$MNT"`;
  const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', `cli() { "$NODE" "$BIN" "$@"; }; ${mount} && ${script}`, 'sh', ...args], {
    cwd,
    encoding: 'utf8',
    env: childEnv({ MNT: mountPoint, NODE: process.execPath, BIN: bin }),
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
