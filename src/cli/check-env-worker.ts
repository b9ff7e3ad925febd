/**
 * The worker thread in which the CLI runs `checkEnv` on a custom env module before training
 * (env-module-check.ts): it imports the module and runs checkEnvModuleTraced (envs/traced-env-check.ts,
 * shared with the page's training worker), which builds the env and checks it, and posts the findings. Before each call into the env it stores what it
 * is calling in the shared `phase` word, so that the main thread, when the check runs past its
 * timeout, can name the method that never returned.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { importEnvModule } from '../envs/node/env-module.js';
import { ENV_CHECK_PHASES, checkEnvModuleTraced, type EnvCheckPhase } from '../envs/traced-env-check.js';
import { errorMessage } from '../errors.js';
import type { EnvCheckReply, EnvCheckRequest } from './env-module-check.js';

const request = workerData as EnvCheckRequest;
const phase = new Int32Array(request.phase);
const enter = (name: EnvCheckPhase): void => {
  Atomics.store(phase, 0, ENV_CHECK_PHASES.indexOf(name));
};

async function check(): Promise<EnvCheckReply> {
  enter('import');
  const module = await importEnvModule(request.url, request.shown);
  const { findings, rendersFrames } = checkEnvModuleTraced(module, request.shown, request.seed, enter);
  return { ok: true, id: module.id, findings, rendersFrames };
}

check().then(
  (reply) => parentPort?.postMessage(reply),
  (error: unknown) => parentPort?.postMessage({ ok: false, message: errorMessage(error) } satisfies EnvCheckReply),
);
