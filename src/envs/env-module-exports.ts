/**
 * The rules of a custom env module's exports (docs/custom-envs.md, "The module"), with no Node
 * import: the CLI's loader (node/env-module.ts) and the page's training worker both import a
 * module with `importEnvModuleAt` and so check it by the same rule. The default export is the env:
 * a class (`new Default(options)`) or a factory `(options) => env`; optional named exports `id`
 * (a non-empty string; default: what the caller gives, the file's name for a file),
 * `maxEpisodeSteps` (a positive integer, or null) and `rewardThreshold` (a finite number, or null).
 */
import { InvalidArgumentError, errorMessage } from '../errors.js';
import { describeValue } from './custom-env.js';
import type { EnvEntryPoint } from './registry.js';

/** What a custom env module exports (docs/custom-envs.md, "The module"), checked. */
export interface EnvModuleExports {
  entryPoint: EnvEntryPoint;
  id: string;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
}

/**
 * Checks a module namespace's exports (docs/custom-envs.md, "The module"); `shown` names the module in errors, `defaultId` is the
 * id when it exports none. Throws InvalidArgumentError: no default export, a default that is
 * neither class nor function, an `id`, `maxEpisodeSteps` or `rewardThreshold` of the wrong kind.
 */
export function checkEnvModuleExports(exports: Record<string, unknown>, shown: string, defaultId: string): EnvModuleExports {
  const bad = (what: string): never => {
    throw new InvalidArgumentError(`env module '${shown}': ${what}`);
  };
  const entryPoint = exports.default;
  if (!('default' in exports) || entryPoint === undefined) bad('has no default export; export default the env class, or a factory function (options) => env');
  if (typeof entryPoint !== 'function') bad(`its default export is ${describeValue(entryPoint)}, expected the env class or a factory function (options) => env`);
  const { id, maxEpisodeSteps, rewardThreshold } = exports;
  if (id !== undefined && (typeof id !== 'string' || id.trim() === '')) bad(`its export 'id' is ${describeValue(id)}, expected a non-empty string (the registered id)`);
  if (maxEpisodeSteps !== undefined && maxEpisodeSteps !== null && (typeof maxEpisodeSteps !== 'number' || !Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1)) {
    bad(`its export 'maxEpisodeSteps' is ${describeValue(maxEpisodeSteps)}, expected a positive integer (or null for no time limit)`);
  }
  if (rewardThreshold !== undefined && rewardThreshold !== null && (typeof rewardThreshold !== 'number' || !Number.isFinite(rewardThreshold))) {
    bad(`its export 'rewardThreshold' is ${describeValue(rewardThreshold)}, expected a finite number`);
  }
  return {
    entryPoint: entryPoint as EnvEntryPoint,
    id: (id as string | undefined) ?? defaultId,
    maxEpisodeSteps: (maxEpisodeSteps as number | null | undefined) ?? null,
    rewardThreshold: (rewardThreshold as number | null | undefined) ?? null,
  };
}

/**
 * Imports the module at `url` (any URL `import()` takes where this runs: a file: URL in Node, a
 * same-origin or blob: URL in a browser worker) and checks its exports (checkEnvModuleExports).
 * A module that throws on import is refused naming it and with its message.
 */
export async function importEnvModuleAt(url: string, shown: string, defaultId: string): Promise<EnvModuleExports> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidArgumentError(`env module '${shown}' threw on import: ${errorMessage(error)}`);
  }
  return checkEnvModuleExports(exports, shown, defaultId);
}
