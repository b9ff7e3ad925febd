/**
 * The worker thread in which the CLI runs `checkEnv` on a custom env module before training
 * (env-module-check.ts): it imports the module, builds the env (renderMode null, then 'rgb_array'
 * for the render checks) and posts the findings. Before each call into the env it stores what it
 * is calling in the shared `phase` word, so that the main thread, when the check runs past its
 * timeout, can name the method that never returned.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkEnv, type EnvFinding } from '../envs/check-env.js';
import { adaptEnv, buildFromEntryPoint } from '../envs/custom-env.js';
import { Env } from '../envs/env.js';
import { importEnvModule } from '../envs/node/env-module.js';
import type { ActionOf, ActionSpace, Box } from '../envs/spaces.js';
import type { Info, RenderMode, ResetOptions, ResetResult, RgbFrame, StepRecord, StepResult } from '../envs/types.js';
import { errorMessage } from '../errors.js';
import { ENV_CHECK_PHASES, type EnvCheckPhase, type EnvCheckReply, type EnvCheckRequest } from './env-module-check.js';

const request = workerData as EnvCheckRequest;
const phase = new Int32Array(request.phase);
const enter = (name: EnvCheckPhase): void => {
  Atomics.store(phase, 0, ENV_CHECK_PHASES.indexOf(name));
};

/** Forwards every call to the env, storing its name first (reset/step forwarded as themselves, so an adapted env's outputs reach checkEnv as they came). */
class TracedEnv extends Env<ActionSpace> {
  constructor(private readonly inner: Env<ActionSpace>) {
    super();
  }
  get observationSpace(): Box {
    enter('observationSpace');
    return this.inner.observationSpace;
  }
  get actionSpace(): ActionSpace {
    enter('actionSpace');
    return this.inner.actionSpace;
  }
  get renderMode(): RenderMode | null {
    enter('renderMode');
    return this.inner.renderMode;
  }
  override reset(options?: ResetOptions): ResetResult {
    enter('reset()');
    return this.inner.reset(options);
  }
  override step(action: ActionOf<ActionSpace>): StepResult {
    enter('step()');
    return this.inner.step(action);
  }
  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    enter('reset()');
    return this.inner.resetInto(obs, offset, options);
  }
  stepInto(action: ActionOf<ActionSpace>, obs: Float32Array, offset: number, out: StepRecord): void {
    enter('step()');
    this.inner.stepInto(action, obs, offset, out);
  }
  render(): RgbFrame | null {
    enter('render()');
    return this.inner.render();
  }
  override close(): void {
    enter('close()');
    this.inner.close();
  }
  override toString(): string {
    return this.inner.toString();
  }
}

async function check(): Promise<EnvCheckReply> {
  enter('import');
  const module = await importEnvModule(request.url, request.shown);
  const build = (renderMode: RenderMode | null): Env<ActionSpace> => {
    enter('constructor');
    return new TracedEnv(adaptEnv(buildFromEntryPoint(module.entryPoint, { renderMode }, `the default export of '${request.shown}'`), { renderMode }));
  };
  const env = build(null);
  const findings: EnvFinding[] = checkEnv(env, { seed: request.seed });
  env.close();
  // The render checks again on an env built for frames, when it makes them (the GIF needs them).
  const framed = build('rgb_array');
  const rendersFrames = framed.renderMode === 'rgb_array';
  if (rendersFrames) findings.push(...checkEnv(framed, { seed: request.seed }).filter((f) => f.method === 'render()'));
  framed.close();
  return { ok: true, id: module.id, findings, rendersFrames };
}

check().then(
  (reply) => parentPort?.postMessage(reply),
  (error: unknown) => parentPort?.postMessage({ ok: false, message: errorMessage(error) } satisfies EnvCheckReply),
);
