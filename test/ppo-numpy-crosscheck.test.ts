/**
 * One PPO update of the engine, as the trainer records it (gaeAdvantages over a rollout on the
 * backend, then PpoAgent.updateGathered on a minibatch of its rows), on the CPU backend through the
 * public API, against an independent float64 NumPy implementation written from CleanRL's ppo.py and
 * ppo_continuous_action.py (test/support/ppo_update_reference.py) given the same weights, Adam
 * state, rollout, minibatch rows and hyper-parameters. Each case runs on the float64 TypeScript
 * kernels, compared to 1e-10, and on the default WASM kernels in float32 (what the CLI runs),
 * compared to 1e-5 (see KERNELS). Relative errors are per array, against its largest magnitude, of:
 * the GAE advantages and returns, the loss and every statistic ppoLoss writes (PPO_LOSS_STATS), the
 * gradients before clipping and their norm (a twin agent with clipping off: PpoAgent keeps its
 * clipper private), the gradients after clipping (the fused clipping writes them back), every weight
 * after the Adam step, and Adam's moments and step.
 *
 * The rollout's old log-probabilities are the current policy's (a first probe of the reference)
 * moved by up to +-0.3, so some ratios fall outside the clip range and some inside; its old values
 * are random, so value clipping cuts some rows. Terminations and truncations fall inside the rollout
 * and at its last step, one step both, and the minibatch takes some of those rows.
 *
 * Runs when python3 with NumPy is present, else skips with a one-line reason.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FloatArray, Tensor } from '../src/backend/backend.js';
import { PPO_LOSS_STATS, type PolicyHead } from '../src/backend/policy-ops.js';
import { ADAM_DEFAULTS } from '../src/nn/optim/adam.js';
import { Rng } from '../src/random/rng.js';
import { PpoAgent, ppoWeightShapes, type PpoAgentConfig, type PpoRolloutTensors } from '../src/rl/ppo-agent.js';
import { crossCheckBackend, crossCheckKernels, float32Uniforms, numpySkipReason as skipReason, runNumpyReference, worstRelativeError as worst, type CrossCheckKernels } from './support/numpy-reference.js';
import { relativeError } from './support/relative-error.js';

const REFERENCE = fileURLToPath(new URL('./support/ppo_update_reference.py', import.meta.url));
if (skipReason) console.warn(`ppo-numpy-crosscheck skipped: ${skipReason}`);

const OBS = 4;
const HIDDEN = [8, 6];
/** The rollout: T steps of N envs, R = T N rows. */
const STEPS = 5;
const ENVS = 3;
const ROWS = STEPS * ENVS;
/** The minibatch: 10 of the 15 rows in shuffled order, among them 7, 9, 13 and 14 (steps that ended an episode). */
const MINIBATCH = [13, 2, 7, 0, 11, 5, 9, 14, 4, 6];
/**
 * Hyper-parameters near CleanRL's (gamma 0.99, lambda 0.95, clip 0.2, ent 0.01, vf 0.5, eps 1e-5,
 * lr 2.5e-4), each exactly representable in float32 so the float32 kernels get the very numbers the
 * reference does. The learning rate is larger than CleanRL's so the update moves every weight by
 * far more than the tolerance.
 */
const GAMMA = 0.96875;
const LAMBDA = 0.9375;
const CLIP_COEF = 0.1875;
const ENT_COEF = 2 ** -7;
const VF_COEF = 0.5;
const ADAM_EPS = 2 ** -17;
const LR = 2 ** -7;
/** Small enough that the gradient norm is above it, so clipping really scales. */
const CLIP_BELOW_NORM = 0.125;
/** Far above the gradient norm here: clipping on, but a no-op. */
const CLIP_ABOVE_NORM = 10;

interface Case {
  name: string;
  head: PolicyHead;
  /** Discrete: actions; Box: action dimensions. */
  actionDim: number;
  /** Adam updates already taken (0: this is its first step). */
  stepsBefore: number;
  maxGradNorm: number;
  /** 0: the value loss is not clipped. */
  valueClip: number;
}

const CASES: Case[] = [
  { name: "categorical (3 actions), clipped gradients, unclipped value loss, Adam's first step", head: 'categorical', actionDim: 3, stepsBefore: 0, maxGradNorm: CLIP_BELOW_NORM, valueClip: 0 },
  { name: 'gaussian (2 dimensions), clipping above the norm, value clipping, Adam step 4', head: 'gaussian', actionDim: 2, stepsBefore: 3, maxGradNorm: CLIP_ABOVE_NORM, valueClip: 0.5 },
];

/** The rollout in plain arrays (flat, time-major: row t N + n is env n's step t). */
interface Rollout {
  observations: number[];
  actions: number[];
  logProb: number[];
  values: number[];
  nextValues: number[];
  rewards: number[];
  terminated: number[];
  truncated: number[];
}

interface Inputs {
  weights: number[][];
  m: number[][];
  v: number[][];
  rollout: Rollout;
}

interface ReferenceResult {
  advantages: number[];
  returns: number[];
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
  valueClipFraction: number;
  gradsBeforeClip: number[][];
  gradNorm: number;
  clipCoefficient: number;
  grads: number[][];
  weights: number[][];
  m: number[][];
  v: number[][];
  step: number;
}

interface EngineResult {
  advantages: FloatArray;
  returns: FloatArray;
  stats: Record<(typeof PPO_LOSS_STATS)[number], number>;
  gradsBeforeClip: FloatArray[];
  grads: FloatArray[];
  weights: FloatArray[];
  m: FloatArray[];
  v: FloatArray[];
  step: number;
}

function agentConfig(c: Case, maxGradNorm: number): PpoAgentConfig {
  return {
    head: c.head,
    hidden: HIDDEN,
    activation: 'tanh',
    init: 'torch_default',
    batchSize: MINIBATCH.length,
    adamEps: ADAM_EPS,
    maxGradNorm,
    clipCoef: CLIP_COEF,
    valueClip: c.valueClip,
    entCoef: ENT_COEF,
    vfCoef: VF_COEF,
    normalizeAdvantages: true,
    logStdInit: 0,
  };
}

function request(c: Case, inputs: Inputs): Record<string, unknown> {
  return {
    network: { obsDim: OBS, actionDim: c.actionDim, hidden: HIDDEN, head: c.head },
    weights: inputs.weights,
    adam: { step: c.stepsBefore, m: inputs.m, v: inputs.v },
    rollout: { steps: STEPS, envs: ENVS, ...inputs.rollout },
    rows: MINIBATCH,
    config: {
      gamma: GAMMA,
      lambda: LAMBDA,
      clipCoef: CLIP_COEF,
      valueClip: c.valueClip,
      entCoef: ENT_COEF,
      vfCoef: VF_COEF,
      normalizeAdvantages: true,
      maxGradNorm: c.maxGradNorm,
      lr: LR,
      beta1: ADAM_DEFAULTS.beta1,
      beta2: ADAM_DEFAULTS.beta2,
      eps: ADAM_EPS,
    },
  };
}

function makeInputs(c: Case, seed: number): Inputs {
  const rng = new Rng(seed);
  const shapes = ppoWeightShapes(OBS, c.actionDim, HIDDEN, c.head);
  const weights = shapes.map(([r, k]) => float32Uniforms(rng, r * k, -0.8, 0.8));
  const first = c.stepsBefore === 0;
  const m = shapes.map(([r, k]) => (first ? new Array<number>(r * k).fill(0) : float32Uniforms(rng, r * k, -0.02, 0.02)));
  const v = shapes.map(([r, k]) => (first ? new Array<number>(r * k).fill(0) : float32Uniforms(rng, r * k, 0, 4e-4)));
  // Env 0 terminates at step 1; env 1 is truncated at step 2 and terminates at the last step; env 2
  // is truncated at the last step; env 0 both terminates and is truncated at step 3.
  const flag = (cells: [number, number][]): number[] => Array.from({ length: ROWS }, (_, i) => (cells.some(([t, e]) => t * ENVS + e === i) ? 1 : 0));
  const terminated = flag([[1, 0], [3, 0], [STEPS - 1, 1]]);
  const truncated = flag([[2, 1], [3, 0], [STEPS - 1, 2]]);
  const values = float32Uniforms(rng, ROWS, -1, 1);
  // V of the observation after each step: the next step's V(s) where the episode goes on (the same
  // observation, as in a real rollout), V(final observation) where it ended, next_value after the last step.
  const finalValues = float32Uniforms(rng, ROWS, -1, 1);
  const nextValues = finalValues.map((x, i) => (i + ENVS < ROWS && terminated[i] === 0 && truncated[i] === 0 ? values[i + ENVS] : x));
  const actionCols = c.head === 'gaussian' ? c.actionDim : 1;
  const rollout: Rollout = {
    observations: float32Uniforms(rng, ROWS * OBS, -2, 2),
    actions: c.head === 'gaussian' ? float32Uniforms(rng, ROWS * actionCols, -1.5, 1.5) : Array.from({ length: ROWS }, () => rng.integers(c.actionDim)),
    logProb: new Array<number>(ROWS).fill(0),
    values,
    nextValues,
    rewards: float32Uniforms(rng, ROWS, -1, 2),
    terminated,
    truncated,
  };
  // The policy's own log-probabilities, moved by up to +-0.3: ratios inside and outside [1 - clip, 1 + clip].
  const probe = runNumpyReference<{ logProb: number[] }>(REFERENCE, { ...request(c, { weights, m, v, rollout }), probe: true });
  rollout.logProb = probe.logProb.map((x) => Math.fround(x + rng.uniform(-0.3, 0.3)));
  return { weights, m, v, rollout };
}

async function engineUpdate(c: Case, inputs: Inputs, kernels: CrossCheckKernels): Promise<EngineResult> {
  const backend = crossCheckBackend(kernels);
  const agent = new PpoAgent(backend, agentConfig(c, c.maxGradNorm), OBS, c.actionDim, new Rng(1));
  const unclipped = new PpoAgent(backend, agentConfig(c, 0), OBS, c.actionDim, new Rng(1));
  const r = inputs.rollout;
  const made: Tensor[] = [];
  const t = (rows: number, cols: number, data?: ArrayLike<number>): Tensor => {
    const tensor = backend.tensor([rows, cols], data);
    made.push(tensor);
    return tensor;
  };
  // As PpoTrainer lays out its rollout: (R, 1) columns, with (T, N) views for gaeAdvantages.
  const rollout: PpoRolloutTensors = {
    observations: t(ROWS, OBS, r.observations),
    actions: t(ROWS, c.head === 'gaussian' ? c.actionDim : 1, r.actions),
    logProb: t(ROWS, 1, r.logProb),
    advantages: t(ROWS, 1),
    returns: t(ROWS, 1),
    values: t(ROWS, 1, r.values),
  };
  const grid = (x: Tensor): Tensor => {
    const view = backend.view(x, 0, [STEPS, ENVS]);
    made.push(view);
    return view;
  };
  try {
    backend.gaeAdvantages({
      rewards: t(STEPS, ENVS, r.rewards),
      values: grid(rollout.values),
      nextValues: grid(t(ROWS, 1, r.nextValues)),
      terminated: t(STEPS, ENVS, r.terminated),
      truncated: t(STEPS, ENVS, r.truncated),
      gamma: GAMMA,
      lambda: LAMBDA,
      advantages: grid(rollout.advantages),
      returns: grid(rollout.returns),
    });
    const state = { kind: 'adam', step: c.stepsBefore, slots: { m: inputs.m.map((a) => Float64Array.from(a)), v: inputs.v.map((a) => Float64Array.from(a)) } } as const;
    for (const a of [agent, unclipped]) {
      a.setWeights(inputs.weights);
      a.optimizer.setState(state);
      a.updateGathered(rollout, MINIBATCH, LR);
    }
    const readGrads = async (a: PpoAgent): Promise<FloatArray[]> => {
      const grads: FloatArray[] = [];
      for (const p of a.arena.parameters) grads.push(await backend.read(p.grad));
      return grads;
    };
    const optimizer = await agent.optimizer.getState();
    return {
      advantages: await backend.read(rollout.advantages),
      returns: await backend.read(rollout.returns),
      stats: await agent.readStats(),
      gradsBeforeClip: await readGrads(unclipped),
      grads: await readGrads(agent),
      weights: await agent.getWeights(),
      m: optimizer.slots.m,
      v: optimizer.slots.v,
      step: optimizer.step,
    };
  } finally {
    agent.dispose();
    unclipped.dispose();
    for (const x of made) x.dispose();
    backend.destroy();
  }
}

/** The global norm of a list of arrays, in float64. */
function globalNorm(arrays: ArrayLike<number>[]): number {
  let sum = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  return Math.sqrt(sum);
}

/**
 * Float64 kernels: only summation order separates them from NumPy, 1e-10 (measured 2.4e-15).
 * Float32 WASM kernels, as the CLI runs them: every input is float32-exact, so only the kernels'
 * own roundings count, 2^-24 (6e-8) relative each, along chains of a few dozen: the 5-step GAE scan
 * (scanTolerance's 8 T 2^-24 = 2.4e-6 of its magnitude), whose advantages are then normalised over
 * 10 rows (mean and std, amplified by at most |A| / std A, about 2 here), sums of up to 10 rows or
 * 8 hidden units through both MLPs forward and back, the log-softmax or Gaussian log-density and
 * exp of the ratio, the loss, clipping, then Adam's sqrt and division. The DQN and PQN
 * cross-checks' bound, the conformance table's for float32 sums with exp/log (LOSS in
 * test/support/tolerances.ts): 1e-5. The worst error measured over these cases is 1.2e-6, the
 * categorical policy loss (a mean of terms of both signs, 0.09 against terms near 1, so its
 * roundings weigh about ten times more against it); the gradients' is 1.0e-6. Dropping the value loss' 0.5 moves the loss and every critic gradient by
 * O(1) relative; skipping the normalisation of the advantages moves the policy loss by far more.
 */
const KERNELS = crossCheckKernels({ float64: 1e-10, float32: 1e-5 });

const cached = new Map<number, { inputs: Inputs; ref: ReferenceResult }>();

describe.skipIf(skipReason !== null).each(KERNELS)('GAE and one PPO minibatch update on the $name against float64 NumPy', (kernels) => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, index) => {
    let entry = cached.get(index);
    if (entry === undefined) {
      const inputs = makeInputs(c, 230 + index);
      entry = { inputs, ref: runNumpyReference<ReferenceResult>(REFERENCE, request(c, inputs)) };
      cached.set(index, entry);
    }
    const { inputs, ref } = entry;
    // The case exercises what it names: ratios both inside and outside the clip range, value
    // clipping cutting some rows (not all), the gradient clipping scaling or not.
    expect(ref.clipFraction).toBeGreaterThan(0);
    expect(ref.clipFraction).toBeLessThan(1);
    if (c.valueClip > 0) {
      expect(ref.valueClipFraction).toBeGreaterThan(0);
      expect(ref.valueClipFraction).toBeLessThan(1);
    }
    if (c.maxGradNorm === CLIP_BELOW_NORM) expect(ref.clipCoefficient, 'clipping scales the gradients').toBeLessThan(0.5);
    else expect(ref.clipCoefficient).toBe(1);

    const engine = await engineUpdate(c, inputs, kernels);
    const errors: [string, number][] = [
      ['GAE advantages', relativeError(engine.advantages, ref.advantages)],
      ['GAE returns', relativeError(engine.returns, ref.returns)],
      ...PPO_LOSS_STATS.map((name): [string, number] => [name, relativeError([engine.stats[name]], [ref[name]])]),
      worst('gradient before clipping', engine.gradsBeforeClip, ref.gradsBeforeClip),
      ['gradient norm before clipping', relativeError([globalNorm(engine.gradsBeforeClip)], [ref.gradNorm])],
      // The fused clipping writes the scaled gradient back.
      worst('gradient after clipping', engine.grads, ref.grads),
      worst('updated weight', engine.weights, ref.weights),
      worst('Adam m', engine.m, ref.m),
      worst('Adam v', engine.v, ref.v),
    ];
    expect(engine.step).toBe(ref.step);
    // The update moves every weight array by far more than the tolerance (it is not a no-op that passes by accident).
    expect(Math.min(...ref.weights.map((w, i) => relativeError(w, inputs.weights[i])))).toBeGreaterThan(1e-4);
    const failing = errors.filter(([, e]) => !(e <= kernels.tolerance));
    expect(failing.map(([label, e]) => `${label}: relative error ${e.toExponential(2)}`)).toEqual([]);
  });
});

if (skipReason !== null) {
  describe('one PPO update against NumPy', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
