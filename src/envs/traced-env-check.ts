/**
 * `checkEnv` on a custom env module's env, traced: before each call into the env it tells `enter`
 * what it is calling, so that whoever owns the thread the check runs in (the CLI's worker thread,
 * the page's training worker) can name the method that never returned when the check runs past
 * its timeout (ENV_CHECK_TIMEOUT_S). No Node import: the CLI and the page share it.
 */
import { checkEnv, type EnvFinding } from './check-env.js';
import { adaptEnv, buildFromEntryPoint } from './custom-env.js';
import { Env } from './env.js';
import type { EnvModuleExports } from './env-module-exports.js';
import type { ActionOf, ActionSpace, Box } from './spaces.js';
import type { Info, RenderMode, ResetOptions, ResetResult, RgbFrame, StepRecord, StepResult } from './types.js';

/** How long checkEnv may take on a custom env by default (seconds): the CLI's --env-check-timeout default, and the page's limit. */
export const ENV_CHECK_TIMEOUT_S = 10;

/** What the check can be doing, in order (the CLI's shared phase word holds an index of this). */
export const ENV_CHECK_PHASES = ['import', 'constructor', 'observationSpace', 'actionSpace', 'renderMode', 'reset()', 'step()', 'render()', 'close()'] as const;
export type EnvCheckPhase = (typeof ENV_CHECK_PHASES)[number];

/** What a phase is, in a sentence: "the env's step()", "importing the module". */
export function describeEnvCheckPhase(phase: EnvCheckPhase): string {
  if (phase === 'import') return 'importing the module';
  if (phase === 'constructor') return 'building the env (its constructor or factory)';
  if (phase.endsWith('()')) return `the env's ${phase}`;
  return `reading the env's ${phase}`;
}

/** Forwards every call to the env, telling `enter` its name first (reset/step forwarded as themselves, so an adapted env's outputs reach checkEnv as they came). */
class TracedEnv extends Env<ActionSpace> {
  constructor(
    private readonly inner: Env<ActionSpace>,
    private readonly enter: (phase: EnvCheckPhase) => void,
  ) {
    super();
  }
  get observationSpace(): Box {
    this.enter('observationSpace');
    return this.inner.observationSpace;
  }
  get actionSpace(): ActionSpace {
    this.enter('actionSpace');
    return this.inner.actionSpace;
  }
  get renderMode(): RenderMode | null {
    this.enter('renderMode');
    return this.inner.renderMode;
  }
  override reset(options?: ResetOptions): ResetResult {
    this.enter('reset()');
    return this.inner.reset(options);
  }
  override step(action: ActionOf<ActionSpace>): StepResult {
    this.enter('step()');
    return this.inner.step(action);
  }
  resetInto(obs: Float32Array, offset: number, options?: ResetOptions): Info | undefined {
    this.enter('reset()');
    return this.inner.resetInto(obs, offset, options);
  }
  stepInto(action: ActionOf<ActionSpace>, obs: Float32Array, offset: number, out: StepRecord): void {
    this.enter('step()');
    this.inner.stepInto(action, obs, offset, out);
  }
  render(): RgbFrame | null {
    this.enter('render()');
    return this.inner.render();
  }
  override close(): void {
    this.enter('close()');
    this.inner.close();
  }
  override toString(): string {
    return this.inner.toString();
  }
}

/** What the check found, with the spaces of the env it built (for a front end that shows or registers them). */
export interface EnvModuleCheck {
  findings: EnvFinding[];
  /** Whether an env built with `renderMode: 'rgb_array'` says it renders frames. */
  rendersFrames: boolean;
  observationSpace: Box;
  actionSpace: ActionSpace;
}

/**
 * Builds a fresh env from the module's entry point (renderMode null) and runs checkEnv on it; then,
 * on one built with `renderMode: 'rgb_array'` that says it renders, the render checks again.
 * `enter` hears each call before it is made. Throws (InvalidArgumentError naming `shown`) when the
 * env cannot be built or adapted; a broken env's other defects are findings.
 */
export function checkEnvModuleTraced(module: EnvModuleExports, shown: string, seed: number, enter: (phase: EnvCheckPhase) => void): EnvModuleCheck {
  const build = (renderMode: RenderMode | null): Env<ActionSpace> => {
    enter('constructor');
    return new TracedEnv(adaptEnv(buildFromEntryPoint(module.entryPoint, { renderMode }, `the default export of '${shown}'`), { renderMode }), enter);
  };
  const env = build(null);
  const findings: EnvFinding[] = checkEnv(env, { seed });
  const observationSpace = env.observationSpace;
  const actionSpace = env.actionSpace;
  env.close();
  // The render checks again on an env built for frames, when it makes them (GIFs and the page need them).
  const framed = build('rgb_array');
  const rendersFrames = framed.renderMode === 'rgb_array';
  if (rendersFrames) findings.push(...checkEnv(framed, { seed }).filter((f) => f.method === 'render()'));
  framed.close();
  return { findings, rendersFrames, observationSpace, actionSpace };
}
