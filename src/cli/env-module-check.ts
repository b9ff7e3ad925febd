/**
 * `--env ./my-env.js` (or a package specifier): the custom env module is checked, then loaded and
 * registered, before anything else reads the env (presets, the config's choices), so the rest of
 * the CLI sees an env id like any other. The check is `checkEnv` on a fresh instance, run in a
 * worker thread (check-env-worker.ts) with a timeout (--env-check-timeout, ENV_CHECK_TIMEOUT_S):
 * an error finding stops the run with exit code 2 and the findings on stderr; warnings are printed
 * and the run goes on; an env whose import, constructor or method never returns stops it (exit 2)
 * naming what did not return, instead of hanging. Runs record the module's `source` (its absolute
 * path, or the package specifier) so that --resume and --mode eval find it again without --env.
 */
import { Worker } from 'node:worker_threads';
import type { EnvFinding } from '../envs/check-env.js';
import { isPathSpecifier, loadEnvModule, resolveEnvModule } from '../envs/node/env-module.js';
import { isRegisteredEnv, looksLikeEnvModule } from '../envs/registry.js';
import { ENV_CHECK_PHASES, ENV_CHECK_TIMEOUT_S, describeEnvCheckPhase } from '../envs/traced-env-check.js';
import { errorMessage } from '../errors.js';
import { UsageError } from './cli-errors.js';
import { say, warn } from './console.js';

export { ENV_CHECK_PHASES, ENV_CHECK_TIMEOUT_S, type EnvCheckPhase } from '../envs/traced-env-check.js';

/** The worker's input. */
export interface EnvCheckRequest {
  url: string;
  /** The module as the user named it, for messages. */
  shown: string;
  seed: number;
  /** One Int32 word: the index in ENV_CHECK_PHASES of what the worker is calling. */
  phase: SharedArrayBuffer;
}

/** The worker's answer. */
export type EnvCheckReply = { ok: true; id: string; findings: EnvFinding[]; rendersFrames: boolean } | { ok: false; message: string };

/**
 * Runs checkEnv on the module's env in a worker; resolves with the findings, or rejects with a
 * UsageError when the module cannot be imported or built, or when the check runs past `timeoutS`
 * (naming what did not return).
 */
export function checkEnvModuleInWorker(url: string, shown: string, timeoutS: number, seed = 0): Promise<Extract<EnvCheckReply, { ok: true }>> {
  const phase = new SharedArrayBuffer(4);
  const request: EnvCheckRequest = { url, shown, seed, phase };
  const worker = new Worker(new URL('./check-env-worker.js', import.meta.url), { workerData: request });
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      const stuck = ENV_CHECK_PHASES[Atomics.load(new Int32Array(phase), 0)] ?? 'import';
      settle(() =>
        reject(
          new UsageError(
            `env module '${shown}': ${describeEnvCheckPhase(stuck)} did not return within ${timeoutS} s while checkEnv ran it in a worker (an endless loop?); nothing was trained. Fix the env, or give --env-check-timeout <seconds> for a slow one`,
          ),
        ),
      );
    }, timeoutS * 1000);
    worker.on('message', (reply: EnvCheckReply) => settle(() => (reply.ok ? resolvePromise(reply) : reject(new UsageError(reply.message)))));
    worker.on('error', (error) => settle(() => reject(new UsageError(`env module '${shown}': ${errorMessage(error)}`))));
    worker.on('exit', (code) => settle(() => reject(new UsageError(`env module '${shown}': the check's worker exited with code ${code} before answering (does the module call process.exit?)`))));
  });
}

/**
 * Checks the custom env module `specifier` in a worker (checkEnvModuleInWorker), then loads and
 * registers it here; returns its id and source. Errors (exit 2) name the module; error findings are
 * listed one per line; warnings are printed to stderr.
 */
export async function prepareEnvModule(specifier: string, options: { cwd?: string; timeoutS?: number } = {}): Promise<{ id: string; source: string }> {
  const cwd = options.cwd ?? process.cwd();
  let url: string;
  try {
    url = resolveEnvModule(specifier, cwd).url;
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const reply = await checkEnvModuleInWorker(url, specifier, options.timeoutS ?? ENV_CHECK_TIMEOUT_S);
  const errors = reply.findings.filter((f) => f.level === 'error');
  if (errors.length > 0) {
    const lines = errors.map((f) => `  - ${f.message}`).join('\n');
    throw new UsageError(`env module '${specifier}' (env '${reply.id}') fails checkEnv with ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was trained (docs/custom-envs.md says what each check expects):\n${lines}`);
  }
  for (const f of reply.findings) warn(`warning: env '${reply.id}' (${specifier}): ${f.message}\n`);
  let loaded: { id: string; source: string };
  try {
    loaded = await loadEnvModule(specifier, { cwd });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const warnings = reply.findings.length;
  say(`env ${loaded.id} from ${loaded.source}: checkEnv passed${warnings > 0 ? ` with ${warnings} warning${warnings === 1 ? '' : 's'}` : ', no findings'}\n`);
  return loaded;
}

/** Whether an --env value names a module to load (a path, a .js file, or an installed package) rather than a registered id. */
function namesModule(value: string, cwd: string): boolean {
  if (isRegisteredEnv(value)) return false;
  if (isPathSpecifier(value) || looksLikeEnvModule(value)) return true;
  try {
    resolveEnvModule(value, cwd);
    return true;
  } catch {
    return false; // commander refuses it, listing the registered ids
  }
}

/** The last value of `--flag <v>` / `--flag=<v>` in argv (before a `--`), with where it is. */
function lastFlagValue(argv: readonly string[], flag: string): { index: number; value: string; inline: boolean } | null {
  let found: { index: number; value: string; inline: boolean } | null = null;
  for (let i = 2; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (token === flag && i + 1 < argv.length) found = { index: ++i, value: argv[i], inline: false };
    else if (token.startsWith(`${flag}=`)) found = { index: i, value: token.slice(flag.length + 1), inline: true };
  }
  return found;
}

/** --env-check-timeout's seconds (a positive number), else the default. */
export function parseEnvCheckTimeout(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--env-check-timeout must be a positive number of seconds, got '${value}'`);
  return seconds;
}

/** The seconds the check may take: --env-check-timeout, or ENV_CHECK_TIMEOUT_S. */
export function envCheckTimeout(argv: readonly string[]): number {
  const given = lastFlagValue(argv, '--env-check-timeout');
  return given === null ? ENV_CHECK_TIMEOUT_S : parseEnvCheckTimeout(given.value);
}

/**
 * `argv` with an --env that names a module replaced by the id it registers (after checking and
 * loading it: prepareEnvModule); as it is otherwise. Throws UsageError.
 */
export async function loadEnvFlagModule(argv: readonly string[]): Promise<string[]> {
  const out = [...argv];
  const env = lastFlagValue(argv, '--env');
  if (env === null || !namesModule(env.value, process.cwd())) return out;
  const { id } = await prepareEnvModule(env.value, { timeoutS: envCheckTimeout(argv) });
  out[env.index] = env.inline ? `--env=${id}` : id;
  return out;
}

/**
 * Loads the custom env a checkpoint or weights file records (`env`, from `source`) when it is not
 * registered yet (no --env named it); `what` names the file for messages ("--resume 'a/checkpoint.zip'").
 * A file that records no module, or a module that is gone, is refused (exit 2) saying to pass --env.
 */
export async function loadRecordedEnv(env: string | null, source: string | null, what: string, timeoutS: number): Promise<void> {
  if (env === null || isRegisteredEnv(env)) return;
  if (source === null) throw new UsageError(`${what}: its env '${env}' is not a built-in env and the file records no module it came from: pass --env <the env's module>`);
  try {
    resolveEnvModule(source);
  } catch (error) {
    throw new UsageError(`${what}: its env '${env}' came from '${source}', which cannot be loaded now (${errorMessage(error)}): pass --env <the env's module> to load it from where it is`);
  }
  const loaded = await prepareEnvModule(source, { timeoutS });
  if (loaded.id !== env) throw new UsageError(`${what}: its env '${env}' came from '${source}', which now registers '${loaded.id}': pass --env <the module of '${env}'>`);
}

/** The env id and module source a checkpoint's metadata records (config.env, run.frontEnd.envSource), each null when absent. */
export function checkpointEnvRecord(meta: unknown): { env: string | null; source: string | null } {
  const m = meta as { config?: { env?: unknown }; run?: { frontEnd?: { envSource?: unknown } } } | null;
  const env = m?.config?.env;
  const source = m?.run?.frontEnd?.envSource;
  return { env: typeof env === 'string' ? env : null, source: typeof source === 'string' ? source : null };
}
