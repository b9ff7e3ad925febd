/**
 * `checkEnv(env)`: the counterpart of Gymnasium's env checker (`gymnasium.utils.env_checker`) and
 * SB3's `check_env`, for this engine's env API. It runs a custom env through `reset` and `step`
 * and lists what does not hold: spaces this engine supports, observations of the declared dtype,
 * shape and bounds, the 5-tuple of `step`, `resetInto`/`stepInto` keeping to their slot of a
 * shared buffer, seeding determinism, refusal of invalid actions, stepping past `terminated`, and
 * render frames. Each finding names the method, the field and
 * what was expected against what came back.
 */
import { InvalidArgumentError, errorMessage, formatShape } from '../errors.js';
import { describeValue } from './custom-env.js';
import type { Env } from './env.js';
import { Box, Discrete, type ActionSpace } from './spaces.js';
import { newStepRecord } from './types.js';

/** How serious a finding is: an error breaks training; a warning is worth a look. */
export type EnvFindingLevel = 'error' | 'warning';

/** One thing `checkEnv` found. */
export interface EnvFinding {
  level: EnvFindingLevel;
  /** The call that showed it: `'reset()'`, `'step()'`, `'render()'`, or `'constructor'` for the spaces. */
  method: string;
  /** What was wrong: `'observation'`, `'reward'`, `'terminated'`, `'truncated'`, `'info'`, `'observationSpace'`, `'actionSpace'`, `'renderMode'`, `'frame'`, `'seeding'`, `'action'`. */
  field: string;
  /** The full sentence: the method, the field, what was expected and what came back. */
  message: string;
}

/** Options of `checkEnv`. */
export interface CheckEnvOptions {
  /** The seed given to `reset` (and to the action sampler); default 0. */
  seed?: number;
  /** Step cap of the run looking for an episode's end (for the step-after-terminated check); default 10_000. */
  maxSteps?: number;
  /** Steps compared between two runs with the same seed; default 10. */
  determinismSteps?: number;
}

type AnyEnv = Env<ActionSpace>;
type Action = number | Float32Array;

/**
 * Runs the checks on `env` and returns the findings, errors first (an empty list: nothing found).
 * It calls `reset` several times (with `options.seed`), so the env is left mid-episode; it never
 * throws for a broken env: what the env throws becomes a finding.
 */
export function checkEnv(env: AnyEnv, options: CheckEnvOptions = {}): EnvFinding[] {
  const seed = options.seed ?? 0;
  const maxSteps = options.maxSteps ?? 10_000;
  const determinismSteps = options.determinismSteps ?? 10;
  const findings: EnvFinding[] = [];
  const add = (level: EnvFindingLevel, method: string, field: string, message: string): void => {
    findings.push({ level, method, field, message });
  };

  const spaces = checkSpaces(env, add);
  checkRenderMode(env, add);
  if (spaces === null) return sorted(findings);
  const { obsSpace, actSpace } = spaces;
  const sampler = actionSampler(actSpace, seed);
  const resetCall = `reset({ seed: ${seed} })`;

  // reset() and one step(): the returned types, shapes and bounds.
  let reset: unknown;
  try {
    reset = env.reset({ seed });
  } catch (e) {
    add('error', 'reset()', 'call', `${resetCall} threw: ${errorMessage(e)}`);
    return sorted(findings);
  }
  if (!checkResetResult(reset, obsSpace, add)) return sorted(findings);
  let step: unknown;
  const action = sampler();
  try {
    step = env.step(action);
  } catch (e) {
    add('error', 'step()', 'call', `step(${describe(action)}) of a sampled valid action threw: ${errorMessage(e)}`);
    return sorted(findings);
  }
  if (!checkStepResult(step, obsSpace, add)) return sorted(findings);

  checkRender(env, add);
  checkPrimitives(env, obsSpace.shape[0], seed, actionSampler(actSpace, seed), add);
  checkDeterminism(env, seed, actionSampler(actSpace, seed), determinismSteps, add);
  checkInvalidActions(env, actSpace, seed, add);
  checkStepAfterTerminated(env, obsSpace, seed, actionSampler(actSpace, seed + 1), maxSteps, findings, add);
  return sorted(findings);
}

/**
 * `checkEnv`, throwing an InvalidArgumentError that lists every error (one per line, after the
 * env's name) when there is one; returns the warnings otherwise.
 */
export function assertEnvValid(env: AnyEnv, options: CheckEnvOptions = {}): EnvFinding[] {
  const findings = checkEnv(env, options);
  const errors = findings.filter((f) => f.level === 'error');
  if (errors.length > 0) {
    throw new InvalidArgumentError(`${env.toString()} fails checkEnv with ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${errors.map((f) => `  - ${f.message}`).join('\n')}`);
  }
  return findings;
}

type Add = (level: EnvFindingLevel, method: string, field: string, message: string) => void;

function sorted(findings: EnvFinding[]): EnvFinding[] {
  return [...findings.filter((f) => f.level === 'error'), ...findings.filter((f) => f.level === 'warning')];
}

/** The spaces, when they are ones the engine supports; null (with findings) otherwise. */
function checkSpaces(env: AnyEnv, add: Add): { obsSpace: Box; actSpace: ActionSpace } | null {
  let obsSpace: unknown, actSpace: unknown;
  try {
    obsSpace = env.observationSpace;
    actSpace = env.actionSpace;
  } catch (e) {
    add('error', 'constructor', 'observationSpace', `reading observationSpace and actionSpace threw: ${errorMessage(e)}`);
    return null;
  }
  let ok = true;
  if (!(obsSpace instanceof Box)) {
    add('error', 'constructor', 'observationSpace', `observationSpace is ${describeValue(obsSpace)}, expected a Box (the only observation space this engine supports)`);
    ok = false;
  } else if (!boxBoundsSane(obsSpace, 'observationSpace', add)) {
    ok = false;
  }
  if (actSpace instanceof Discrete) {
    if (!Number.isInteger(actSpace.n) || actSpace.n < 1 || !Number.isInteger(actSpace.start)) {
      add('error', 'constructor', 'actionSpace', `actionSpace is Discrete with n=${actSpace.n}, start=${actSpace.start}, expected a positive integer n and an integer start`);
      ok = false;
    }
  } else if (actSpace instanceof Box) {
    if (!boxBoundsSane(actSpace, 'actionSpace', add)) ok = false;
    else if (actSpace.low.some((v) => !Number.isFinite(v)) || actSpace.high.some((v) => !Number.isFinite(v))) {
      add('warning', 'constructor', 'actionSpace', `actionSpace ${actSpace.toString()} has infinite bounds: sampled actions and a policy's action range are unbounded`);
    }
  } else {
    add('error', 'constructor', 'actionSpace', `actionSpace is ${describeValue(actSpace)}, expected a Discrete or a Box`);
    ok = false;
  }
  return ok ? { obsSpace: obsSpace as Box, actSpace: actSpace as ActionSpace } : null;
}

/** A 1-D Box of at least one element, float32 bounds with low <= high and no NaN. */
function boxBoundsSane(space: Box, name: string, add: Add): boolean {
  if (!(space.low instanceof Float32Array) || !(space.high instanceof Float32Array)) {
    add('error', 'constructor', name, `${name} bounds are not Float32Arrays (the Box dtype is float32)`);
    return false;
  }
  if (space.shape.length !== 1 || space.shape[0] < 1 || space.low.length !== space.shape[0] || space.high.length !== space.shape[0]) {
    add('error', 'constructor', name, `${name} has shape ${formatShape(space.shape)} with ${space.low.length} low and ${space.high.length} high bounds, expected a 1-D shape (n,) with n >= 1 and n of each`);
    return false;
  }
  for (let i = 0; i < space.low.length; i++) {
    if (!(space.low[i] <= space.high[i])) {
      add('error', 'constructor', name, `${name} low[${i}] = ${space.low[i]} and high[${i}] = ${space.high[i]}, expected low <= high and neither NaN`);
      return false;
    }
  }
  return true;
}

function checkRenderMode(env: AnyEnv, add: Add): void {
  let mode: unknown;
  try {
    mode = env.renderMode;
  } catch (e) {
    add('error', 'constructor', 'renderMode', `reading renderMode threw: ${errorMessage(e)}`);
    return;
  }
  if (mode !== null && mode !== 'rgb_array') add('error', 'constructor', 'renderMode', `renderMode is ${describeValue(mode)}, expected null or 'rgb_array'`);
}

/** Checks `[obs, info]`; false when there is no usable observation. */
function checkResetResult(result: unknown, space: Box, add: Add): boolean {
  if (!Array.isArray(result) || result.length !== 2) {
    add('error', 'reset()', 'result', `reset() returned ${describeValue(result)}, expected [obs, info]`);
    return false;
  }
  const ok = checkObservation(result[0], space, 'reset()', add);
  checkInfo(result[1], 'reset()', add);
  return ok;
}

/** Checks `[obs, reward, terminated, truncated, info]`; false when it is not that tuple with a usable observation. */
function checkStepResult(result: unknown, space: Box, add: Add): boolean {
  if (!Array.isArray(result) || result.length !== 5) {
    add('error', 'step()', 'result', `step() returned ${describeValue(result)}, expected [obs, reward, terminated, truncated, info]`);
    return false;
  }
  const ok = checkObservation(result[0], space, 'step()', add);
  const reward: unknown = result[1];
  if (typeof reward !== 'number') add('error', 'step()', 'reward', `step(): reward is ${describeValue(reward)}, expected a finite number`);
  else if (!Number.isFinite(reward)) add('error', 'step()', 'reward', `step(): reward is ${reward}, expected a finite number`);
  for (const [i, name] of [[2, 'terminated'], [3, 'truncated']] as const) {
    const v: unknown = result[i];
    if (typeof v !== 'boolean') add('error', 'step()', name, `step(): ${name} is ${describeValue(v)}, expected a boolean`);
  }
  checkInfo(result[4], 'step()', add);
  return ok;
}

/** A Float32Array of the space's length with every element inside the bounds. */
function checkObservation(obs: unknown, space: Box, method: string, add: Add): boolean {
  if (!(obs instanceof Float32Array)) {
    const items: unknown[] | null = Array.isArray(obs) ? (obs as unknown[]) : null;
    const notNumber = items === null ? -1 : items.findIndex((v) => typeof v !== 'number');
    if (items !== null && notNumber >= 0) {
      add('error', method, 'observation', `${method}: observation[${notNumber}] is ${describeValue(items[notNumber])}, expected a number (observationSpace dtype float32)`);
      return false;
    }
    add('error', method, 'observation', `${method}: observation is ${describeValue(obs)}, expected a Float32Array (observationSpace dtype float32)`);
    return false;
  }
  const dim = space.shape[0];
  if (obs.length !== dim) {
    add('error', method, 'observation', `${method}: observation has length ${obs.length}, observationSpace of shape ${formatShape(space.shape)} expects ${dim}`);
    return false;
  }
  for (let i = 0; i < dim; i++) {
    const v = obs[i];
    if (Number.isNaN(v)) {
      add('error', method, 'observation', `${method}: observation[${i}] is NaN, expected a number in [${space.low[i]}, ${space.high[i]}]`);
      return true;
    }
    if (!Number.isFinite(v)) {
      add('error', method, 'observation', `${method}: observation[${i}] is ${v}, expected a finite number in [${space.low[i]}, ${space.high[i]}]`);
      return true;
    }
    if (v < space.low[i]) {
      add('error', method, 'observation', `${method}: observation[${i}] = ${v} is below observationSpace low[${i}] = ${space.low[i]}`);
      return true;
    }
    if (v > space.high[i]) {
      add('error', method, 'observation', `${method}: observation[${i}] = ${v} is above observationSpace high[${i}] = ${space.high[i]}`);
      return true;
    }
  }
  return true;
}

function checkInfo(info: unknown, method: string, add: Add): void {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) add('error', method, 'info', `${method}: info is ${describeValue(info)}, expected a plain object`);
}

function checkRender(env: AnyEnv, add: Add): void {
  const mode = env.renderMode;
  if (mode !== null && mode !== 'rgb_array') return; // reported by checkRenderMode
  let frame: unknown;
  try {
    frame = env.render();
  } catch (e) {
    add('error', 'render()', 'call', `render() with renderMode ${describeValue(mode)} threw: ${errorMessage(e)}`);
    return;
  }
  if (mode === null) {
    if (frame !== null && frame !== undefined) add('warning', 'render()', 'frame', `render() with renderMode null returned ${describeValue(frame)}, expected null`);
    return;
  }
  if (typeof frame !== 'object' || frame === null) {
    add('error', 'render()', 'frame', `render() with renderMode 'rgb_array' returned ${describeValue(frame)}, expected an RgbFrame { width, height, data }`);
    return;
  }
  const { width, height, data } = frame as { width?: unknown; height?: unknown; data?: unknown };
  if (typeof width !== 'number' || typeof height !== 'number' || !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    add('error', 'render()', 'frame', `render(): frame width ${describeValue(width)} and height ${describeValue(height)}, expected positive integers`);
    return;
  }
  if (!(data instanceof Uint8ClampedArray)) {
    add('error', 'render()', 'frame', `render(): frame data is ${describeValue(data)}, expected a Uint8ClampedArray of width * height * 4 = ${width * height * 4} bytes`);
  } else if (data.length !== width * height * 4) {
    add('error', 'render()', 'frame', `render(): frame data has ${data.length} bytes, a ${width}x${height} RGBA frame expects ${width * height * 4}`);
  }
}

/**
 * `resetInto` / `stepInto` (what the vector env and the trainers call) write only their slot
 * `obs[offset..offset+obsDim)` of a shared buffer: checked at offset 1 with a marker either side.
 */
function checkPrimitives(env: AnyEnv, dim: number, seed: number, sample: () => Action, add: Add): void {
  const marker = Math.fround(-1234.5);
  const buf = new Float32Array(dim + 2).fill(marker);
  const slot = `its slot obs[1..${dim + 1})`;
  const outside = (method: string, call: string): boolean => {
    for (const i of [0, dim + 1]) {
      if (!Object.is(buf[i], marker)) {
        add('error', method, 'observation', `${call} wrote obs[${i}], outside ${slot}: a vector env's neighbouring observation would be overwritten`);
        return true;
      }
    }
    return false;
  };
  try {
    env.resetInto(buf, 1, { seed });
  } catch (e) {
    add('error', 'resetInto()', 'call', `resetInto(obs, 1, { seed: ${seed} }) threw: ${errorMessage(e)}`);
    return;
  }
  if (outside('resetInto()', `resetInto(obs, 1, { seed: ${seed} })`)) return;
  const action = sample();
  try {
    env.stepInto(action, buf, 1, newStepRecord());
  } catch (e) {
    add('error', 'stepInto()', 'call', `stepInto(${describe(action)}, obs, 1, out) of a sampled valid action threw: ${errorMessage(e)}`);
    return;
  }
  outside('stepInto()', `stepInto(${describe(action)}, obs, 1, out)`);
}

/** One run after a seeded reset: the first observation, then each step's outputs (or the error). */
interface Run {
  first: Float32Array;
  steps: { action: Action; obs: Float32Array; reward: number; terminated: boolean; truncated: boolean }[];
}

function seededRun(env: AnyEnv, seed: number, actions: readonly Action[]): Run | string {
  try {
    const first = Float32Array.from(env.reset({ seed })[0]);
    const steps: Run['steps'] = [];
    for (const action of actions) {
      const [obs, reward, terminated, truncated] = env.step(action);
      steps.push({ action, obs: Float32Array.from(obs), reward, terminated, truncated });
      if (terminated || truncated) break;
    }
    return { first, steps };
  } catch (e) {
    return errorMessage(e);
  }
}

/** The first index at which two observations differ (NaN equal to NaN), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return i;
  return -1;
}

function checkDeterminism(env: AnyEnv, seed: number, sample: () => Action, count: number, add: Add): void {
  const actions = Array.from({ length: count }, sample);
  const resetCall = `reset({ seed: ${seed} })`;
  const a = seededRun(env, seed, actions);
  const b = seededRun(env, seed, actions);
  if (typeof a === 'string' || typeof b === 'string') {
    add('error', 'reset()', 'seeding', `${resetCall} then ${count} steps threw on a repeated run: ${typeof a === 'string' ? a : (b as string)}`);
    return;
  }
  const i = firstDifference(a.first, b.first);
  if (i >= 0) {
    add('error', 'reset()', 'seeding', `${resetCall} twice gave different first observations at index ${i} (${a.first[i]} vs ${b.first[i]}): seeding is not deterministic`);
    return;
  }
  for (let t = 0; t < Math.min(a.steps.length, b.steps.length); t++) {
    const x = a.steps[t], y = b.steps[t];
    const where = `step ${t + 1} (action ${describe(x.action)}) after ${resetCall}`;
    const j = firstDifference(x.obs, y.obs);
    let diff: string | null = null;
    if (j >= 0) diff = `observations at index ${j} (${x.obs[j]} vs ${y.obs[j]})`;
    else if (!Object.is(x.reward, y.reward)) diff = `rewards (${x.reward} vs ${y.reward})`;
    else if (x.terminated !== y.terminated) diff = `terminated (${x.terminated} vs ${y.terminated})`;
    else if (x.truncated !== y.truncated) diff = `truncated (${x.truncated} vs ${y.truncated})`;
    if (diff !== null) {
      add('error', 'step()', 'seeding', `${where} gave different ${diff} on two runs with the same actions: stepping is not deterministic`);
      return;
    }
  }
  const other = seededRun(env, seed + 1, []);
  if (typeof other !== 'string' && firstDifference(a.first, other.first) < 0) {
    add('warning', 'reset()', 'seeding', `reset({ seed: ${seed + 1} }) gave the same first observation as ${resetCall}: the seed may be ignored`);
  }
}

/** Whether `step(action)` after a seeded reset throws. */
function refuses(env: AnyEnv, seed: number, action: number | number[]): boolean {
  env.reset({ seed });
  try {
    // The action is deliberately outside the space: the env is asked to refuse it.
    env.step(action as Action);
    return false;
  } catch {
    return true;
  }
}

function checkInvalidActions(env: AnyEnv, space: ActionSpace, seed: number, add: Add): void {
  try {
    if (space instanceof Discrete) {
      for (const a of [space.start - 1, space.start + space.n, space.start + 0.5]) {
        if (!refuses(env, seed, a)) add('error', 'step()', 'action', `step(${a}) was accepted: an action outside ${space.toString()} must throw`);
      }
    } else {
      const dim = space.shape[0];
      for (const a of [new Array<number>(dim + 1).fill(0), []]) {
        if (!refuses(env, seed, a)) add('error', 'step()', 'action', `step(${describe(a)}) was accepted: ${space.toString()} takes an array of ${dim} number${dim === 1 ? '' : 's'} and must throw for ${a.length}`);
      }
    }
  } catch (e) {
    add('error', 'reset()', 'call', `reset({ seed: ${seed} }) threw while checking invalid actions: ${errorMessage(e)}`);
  }
}

/**
 * Runs episodes (after a seeded reset, up to `maxSteps` steps) to the first `terminated`, then
 * steps once more. Every step's outputs are checked as the first step's were: the first defect
 * that shows only later in an episode (a NaN at step 40) is reported with its step, unless the
 * first step already showed that method's field wrong (`findings`).
 */
function checkStepAfterTerminated(env: AnyEnv, space: Box, seed: number, sample: () => Action, maxSteps: number, findings: readonly EnvFinding[], add: Add): void {
  let laterDefectFound = false;
  const checkLater = (result: unknown, t: number): void => {
    if (laterDefectFound) return;
    const later: EnvFinding[] = [];
    checkStepResult(result, space, (level, method, field, message) => later.push({ level, method, field, message }));
    const first = later.find((f) => f.level === 'error' && !findings.some((g) => g.method === f.method && g.field === f.field));
    if (first === undefined) return;
    laterDefectFound = true;
    add(first.level, first.method, first.field, `${first.message} (at step ${t} of the episodes run after reset({ seed: ${seed} }))`);
  };
  try {
    env.reset({ seed });
    for (let t = 1; t <= maxSteps; t++) {
      const result = env.step(sample());
      checkLater(result, t);
      const [, , terminated, truncated] = result;
      if (truncated && !terminated) {
        // A time limit ended the episode: look for a termination in a fresh one.
        env.reset();
        continue;
      }
      if (!terminated) continue;
      const action = sample();
      try {
        env.step(action);
      } catch {
        return; // refused: what a strict env does
      }
      add('warning', 'step()', 'terminated', `step(${describe(action)}) after terminated = true (step ${t}), without reset(), was accepted: its outputs are undefined (Gymnasium warns; an env may throw instead)`);
      return;
    }
  } catch (e) {
    add('error', 'step()', 'call', `running episodes (up to ${maxSteps} steps) after reset({ seed: ${seed} }) threw: ${errorMessage(e)}`);
  }
}

/** Samples actions of the space from its own generator, leaving the space's sampler alone. */
function actionSampler(space: ActionSpace, seed: number): () => Action {
  if (space instanceof Discrete) {
    const d = new Discrete(space.n, { start: space.start, seed });
    return () => d.sample();
  }
  const box = new Box(space.low, space.high);
  box.seed(seed);
  return () => box.sample();
}

function describe(action: unknown): string {
  if (typeof action === 'object' && action !== null && 'length' in action) return `[${Array.from(action as ArrayLike<unknown>, String).join(', ')}]`;
  return String(action);
}
