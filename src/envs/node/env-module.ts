/**
 * `loadEnvModule(specifier)`: imports a custom env module (docs/custom-envs.md, "The module") and
 * registers it. Node only (it resolves paths and packages from a folder). The module's default
 * export is the env: a class (`new Default(options)`) or a factory `(options) => env`, building an
 * engine Env or a plain Gymnasium-style object (adaptEnv); optional named exports `id` (default:
 * the file's name without its extension), `maxEpisodeSteps` and `rewardThreshold`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError, errorMessage } from '../../errors.js';
import { importEnvModuleAt, type EnvModuleExports } from '../env-module-exports.js';
import { envSource, isRegisteredEnv, register } from '../registry.js';

export type { EnvModuleExports } from '../env-module-exports.js';

/** Where a module is and what a run records of it. */
export interface ResolvedEnvModule {
  /** The file: URL `import()` takes. */
  url: string;
  /** What a run records: the module's absolute path for a path or file: URL, else the package specifier as given. */
  source: string;
}

/** Whether `specifier` names a file (./, ../, an absolute path, a file: URL) rather than a package. */
export function isPathSpecifier(specifier: string): boolean {
  return /^(\.{1,2}([\\/]|$)|file:)/.test(specifier) || isAbsolute(specifier) || /^[A-Za-z]:[\\/]/.test(specifier);
}

/**
 * Finds the module `specifier` names, without importing it: a path (./, ../, absolute) resolved
 * from `cwd`, a file: URL, or a package specifier resolved as an import from `cwd` would be.
 * Throws InvalidArgumentError naming the module when there is no such file or package.
 */
export function resolveEnvModule(specifier: string, cwd: string = process.cwd()): ResolvedEnvModule {
  if (specifier.trim() === '') throw new InvalidArgumentError(`env module: the specifier is empty`);
  // A bare 'envs/grid.js' that is a file here is a path (as a user types it); else a package.
  if (isPathSpecifier(specifier) || (/\.(m|c)?js$/.test(specifier) && existsSync(resolve(cwd, specifier)))) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(cwd, specifier);
    if (!existsSync(path)) throw new InvalidArgumentError(`env module '${specifier}': no such file '${path}'`);
    if (statSync(path).isDirectory()) throw new InvalidArgumentError(`env module '${specifier}': '${path}' is a folder, expected a JavaScript module file`);
    return { url: pathToFileURL(path).href, source: path };
  }
  const path = resolvePackage(specifier, cwd);
  return { url: pathToFileURL(path).href, source: specifier };
}

/**
 * The file a package specifier names, resolved from `cwd`: Node's resolution (require conditions),
 * and for a package whose `exports` offer only `import`, its `import` (or `default`) entry.
 */
function resolvePackage(specifier: string, cwd: string): string {
  const requireFrom = createRequire(join(resolve(cwd), 'noop.js'));
  try {
    return requireFrom.resolve(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      const found = importEntryOf(specifier, cwd);
      if (found !== null) return found;
    }
    throw new InvalidArgumentError(`env module '${specifier}': cannot find it as a package from '${resolve(cwd)}' (${errorMessage(error).split('\n')[0]}); install it, or give a path starting with ./ or /`);
  }
}

/** An ESM-only package's entry: `exports` (the subpath's `import`, `node` or `default` condition) of the package found in a node_modules above `cwd`. */
function importEntryOf(specifier: string, cwd: string): string | null {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const subpath = `.${specifier.slice(name.length)}`;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown }).exports;
      const target = pickExport(typeof exports === 'string' || isConditions(exports) ? (subpath === '.' ? exports : undefined) : (exports as Record<string, unknown> | undefined)?.[subpath]);
      return target === null ? null : join(dirname(manifest), target);
    }
    if (dirname(dir) === dir) return null;
  }
}

function isConditions(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).every((key) => !key.startsWith('.'));
}

function pickExport(target: unknown): string | null {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map(pickExport).find((t) => t !== null) ?? null;
  if (target === null || typeof target !== 'object') return null;
  const conditions = target as Record<string, unknown>;
  for (const key of ['import', 'node', 'default']) if (key in conditions) return pickExport(conditions[key]);
  return null;
}

/**
 * Imports the module at `url` and checks its exports (docs/custom-envs.md, "The module": env-module-exports.ts, the rule the page's
 * worker applies too); `shown` names it in errors: one that throws on import (its message), no
 * default export, a default that is neither class nor function, an `id`, `maxEpisodeSteps` or
 * `rewardThreshold` of the wrong kind. Its id defaults to the file's name (defaultEnvId).
 */
export function importEnvModule(url: string, shown: string): Promise<EnvModuleExports> {
  return importEnvModuleAt(url, shown, defaultEnvId(url));
}

/** A module's id when it exports none: its file's name without the extension. */
export function defaultEnvId(url: string): string {
  const file = basename(url.startsWith('file:') ? fileURLToPath(url) : url);
  return file.slice(0, file.length - extname(file).length);
}

/**
 * Imports the custom env module `specifier` (a path ./, ../ or absolute, a file: URL, or a package
 * specifier resolved from `cwd`) and registers its env; returns its id and `source` (what a run
 * records to find it again: the absolute path, or the package specifier). Throws
 * InvalidArgumentError naming the module (see importEnvModule); an id that a built-in env or
 * another module already has is refused.
 */
export async function loadEnvModule(specifier: string, options: { cwd?: string } = {}): Promise<{ id: string; source: string }> {
  const { url, source } = resolveEnvModule(specifier, options.cwd);
  const module = await importEnvModule(url, specifier);
  if (isRegisteredEnv(module.id) && envSource(module.id) !== source) {
    const other = envSource(module.id);
    throw new InvalidArgumentError(`env module '${specifier}': its id '${module.id}' is already registered (${other === null ? 'a built-in env or one registered from code' : `by '${other}'`}); export another id`);
  }
  register({ id: module.id, entryPoint: module.entryPoint, maxEpisodeSteps: module.maxEpisodeSteps, rewardThreshold: module.rewardThreshold, source });
  return { id: module.id, source };
}
