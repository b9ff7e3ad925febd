/**
 * The backend conformance table: declarative op cases run on every backend and compared with
 * the float64 references of reference-ops.ts. Inputs come from a seeded Rng (one seed per case,
 * derived from its name) and are rounded to float32 first, so a float32 backend and the reference
 * see exactly the same numbers; only the ops' own rounding differs.
 *
 * Tolerances are the table of tolerances.ts.
 */
import { ACTIVATIONS, BACKEND_OPS, PPO_LOSS_STATS, type Backend, type BackendOp, type Shape, type TdLossArgs, type Tensor } from '../../src/backend/backend.js';
import { shapeSize } from '../../src/backend/device-tensor.js';
import { Rng } from '../../src/random/rng.js';
import * as ref from './reference-ops.js';
import { ACROBOT_STEP, ADAM, ENV_STEP, EXACT, FEW_OPS, LOSS, MOUNTAIN_CAR_STEP, POLICY_CATEGORICAL, POLICY_GAUSSIAN, PPO_LOSS, TRANSCENDENTAL, fusedTolerance, layerNormActivationTolerance, layerNormTolerance, mismatch, scanTolerance, sumTolerance, type Tolerance } from './tolerances.js';

export interface OpCase {
  /** e.g. 'matmul 33x17x5 transA accumulate'. */
  name: string;
  op: BackendOp;
  /** Runs the op on `backend` with inputs made from a seeded Rng, returns the named output arrays. */
  run(backend: Backend): Promise<Record<string, Float64Array | Float32Array>>;
  /** Float64 reference of the same outputs (naive and obviously right). */
  reference(): Record<string, Float64Array>;
  tolerance: Tolerance;
  /** Slow cases (matmul >= 256^3): a runner short of time may skip them. */
  big?: boolean;
}

/** A float64 array of uniform values in [lo, hi), each exactly representable in float32. */
export function f32Uniform(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(rng.uniform(lo, hi));
  return out;
}

/** A stable 31-bit seed from a case name (FNV-1a). */
function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

type InputSpec = Record<string, { shape: Shape; data: Float64Array }>;

interface CaseSpec<I extends InputSpec> {
  name: string;
  op: BackendOp;
  tolerance: Tolerance;
  big?: boolean;
  /** Every tensor the op touches (outputs included, with their initial contents). */
  inputs(rng: Rng): I;
  /** Names of the tensors whose final contents are the outputs. */
  outputs: readonly string[];
  exec(backend: Backend, t: Record<keyof I, Tensor>): void;
  reference(inputs: I): Record<string, Float64Array>;
}

function defineCase<I extends InputSpec>(spec: CaseSpec<I>): OpCase {
  let cached: I | undefined;
  const inputs = (): I => (cached ??= spec.inputs(new Rng(seedOf(spec.name))));
  return {
    name: spec.name,
    op: spec.op,
    tolerance: spec.tolerance,
    big: spec.big,
    async run(backend) {
      const tensors = {} as Record<keyof I, Tensor>;
      const made: Tensor[] = [];
      try {
        for (const [key, value] of Object.entries(inputs())) {
          const t = backend.tensor(value.shape, value.data, key);
          made.push(t);
          tensors[key as keyof I] = t;
        }
        spec.exec(backend, tensors);
        const result: Record<string, Float64Array | Float32Array> = {};
        for (const key of spec.outputs) {
          const t = tensors[key as keyof I];
          result[key] = (await backend.read(t)).slice(0, t.size);
        }
        return result;
      } finally {
        for (const t of made) t.dispose();
      }
    },
    reference: () => spec.reference(inputs()),
  };
}

function m(input: { shape: Shape; data: Float64Array }): ref.Matrix {
  const s = input.shape;
  return ref.matrix(s.length === 1 ? 1 : s[0], s.length === 1 ? s[0] : s[1], input.data);
}

function uniformInput(rng: Rng, shape: Shape, lo = -1, hi = 1) {
  return { shape, data: f32Uniform(rng, shapeSize(shape), lo, hi) };
}

function constInput(shape: Shape, values: ArrayLike<number>) {
  return { shape, data: Float64Array.from(values, (v) => Math.fround(v)) };
}

function integerInput(rng: Rng, rows: number, n: number) {
  return { shape: [rows, 1] as Shape, data: Float64Array.from({ length: rows }, () => rng.integers(n)) };
}

/** A single-value output or input (1, 1). */
function scalar(value: number) {
  return constInput([1, 1], [value]);
}

const cases: OpCase[] = [];

// ------------------------------------------------------------------ fill, copy, scale, addMul, lerp

for (const value of [0, 3.25, -(2 ** 100)]) {
  cases.push(
    defineCase({
      name: `fill (3, 5) with ${value}`,
      op: 'fill',
      tolerance: EXACT,
      inputs: (rng) => ({ out: uniformInput(rng, [3, 5]) }),
      outputs: ['out'],
      exec: (b, t) => b.fill(t.out, value),
      reference: () => ({ out: new Float64Array(15).fill(Math.fround(value)) }),
    }),
  );
}

cases.push(
  defineCase({
    name: 'copy (4, 7)',
    op: 'copy',
    tolerance: EXACT,
    inputs: (rng) => ({ src: uniformInput(rng, [4, 7]), dst: uniformInput(rng, [4, 7]) }),
    outputs: ['dst', 'src'],
    exec: (b, t) => b.copy(t.src, t.dst),
    reference: (i) => ({ dst: i.src.data, src: i.src.data }),
  }),
  defineCase({
    name: 'copy (28,) into (4, 7)',
    op: 'copy',
    tolerance: EXACT,
    inputs: (rng) => ({ src: uniformInput(rng, [28]), dst: uniformInput(rng, [4, 7]) }),
    outputs: ['dst'],
    exec: (b, t) => b.copy(t.src, t.dst),
    reference: (i) => ({ dst: i.src.data }),
  }),
  defineCase({
    name: 'scale (5, 3) by -2.5',
    op: 'scale',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ x: uniformInput(rng, [5, 3]), out: uniformInput(rng, [5, 3]) }),
    outputs: ['out', 'x'],
    exec: (b, t) => b.scale(t.x, -2.5, t.out),
    reference: (i) => ({ out: i.x.data.map((v) => -2.5 * v), x: i.x.data }),
  }),
  defineCase({
    name: 'scale in place (33,) by 0.1',
    op: 'scale',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ x: uniformInput(rng, [33]) }),
    outputs: ['x'],
    exec: (b, t) => b.scale(t.x, 0.1, t.x),
    reference: (i) => ({ x: i.x.data.map((v) => 0.1 * v) }),
  }),
  defineCase({
    name: 'addMul (6, 4)',
    op: 'addMul',
    tolerance: FEW_OPS,
    inputs: (rng) => ({
      a: uniformInput(rng, [6, 4]),
      b: uniformInput(rng, [6, 4], 0, 1),
      c: uniformInput(rng, [6, 4], -10, 10),
      out: uniformInput(rng, [6, 4]),
    }),
    outputs: ['out'],
    exec: (b, t) => b.addMul(t.a, t.b, t.c, t.out),
    reference: (i) => ({ out: i.a.data.map((v, k) => v + i.b.data[k] * i.c.data[k]) }),
  }),
  defineCase({
    name: 'addMul into a (TD target shape (64, 1))',
    op: 'addMul',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ r: uniformInput(rng, [64, 1]), g: uniformInput(rng, [64, 1], 0, 1), v: uniformInput(rng, [64, 1], -50, 50) }),
    outputs: ['r'],
    exec: (b, t) => b.addMul(t.r, t.g, t.v, t.r),
    reference: (i) => ({ r: i.r.data.map((v, k) => v + i.g.data[k] * i.v.data[k]) }),
  }),
);
for (const tau of [0.005, 1]) {
  cases.push(
    defineCase({
      name: `lerp (7, 9) t=${tau}`,
      op: 'lerp',
      tolerance: FEW_OPS,
      inputs: (rng) => ({ dst: uniformInput(rng, [7, 9]), src: uniformInput(rng, [7, 9]) }),
      outputs: ['dst', 'src'],
      exec: (b, t) => b.lerp(t.dst, t.src, tau),
      reference: (i) => ({ dst: i.dst.data.map((d, k) => d + tau * (i.src.data[k] - d)), src: i.src.data }),
    }),
  );
}

// ------------------------------------------------------------------ matmul

/** (m, k, n) triples; `big` ones are slow on a CPU or a software GPU. */
const MATMUL_SHAPES: { m: number; k: number; n: number; big?: boolean; noAccumulate?: boolean }[] = [
  { m: 1, k: 1, n: 1 },
  { m: 2, k: 3, n: 1 },
  { m: 3, k: 5, n: 7 },
  { m: 33, k: 17, n: 65 },
  { m: 4, k: 64, n: 64 },
  { m: 64, k: 4, n: 64 },
  { m: 64, k: 64, n: 2 },
  { m: 64, k: 64, n: 64 },
  { m: 256, k: 256, n: 256, big: true },
  // Every transpose at 1024^3 too; accumulate is already covered at every smaller size.
  { m: 1024, k: 1024, n: 1024, big: true, noAccumulate: true },
];

for (const { m: M, k: K, n: N, big, noAccumulate } of MATMUL_SHAPES) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const accumulate of [false, true]) {
        if (noAccumulate && accumulate) continue;
        const flags = [transA ? 'transA' : '', transB ? 'transB' : '', accumulate ? 'accumulate' : ''].filter(Boolean).join(' ');
        cases.push(
          defineCase({
            name: `matmul ${M}x${K}x${N}${flags ? ' ' + flags : ''}`,
            op: 'matmul',
            big,
            tolerance: sumTolerance(K + (accumulate ? 1 : 0)),
            inputs: (rng) => ({
              a: uniformInput(rng, transA ? [K, M] : [M, K]),
              b: uniformInput(rng, transB ? [N, K] : [K, N]),
              out: uniformInput(rng, [M, N]),
            }),
            outputs: ['out'],
            exec: (b, t) => b.matmul(t.a, t.b, t.out, { transA, transB, accumulate }),
            reference: (i) => ({ out: ref.refMatmul(m(i.a), m(i.b), transA, transB, accumulate ? i.out.data : undefined) }),
          }),
        );
      }
    }
  }
}

// ------------------------------------------------------------------ fused layer ops

const LAYER_SHAPES = [
  [1, 1, 1],
  [5, 3, 7],
  [33, 17, 65],
  // Every length divisible by 4 (lavapipe's subgroup kernels take it) but no tile full: 36 rows are
  // 2 bands of 16 and 4 more, 44 columns one group of 32 and 12 more, 20 inputs a band and 4.
  [36, 20, 44],
  // A narrow layer (3 outputs: lavapipe's narrow kernels) over a batch that fills no workgroup.
  [20, 8, 3],
  [64, 4, 64],
  [64, 64, 64],
  [128, 64, 2],
  [64, 256, 256],
] as const;

for (const [B, K, N] of LAYER_SHAPES) {
  for (const activation of ACTIVATIONS) {
    for (const withBias of [true, false]) {
      if (!withBias && activation !== 'relu' && activation !== 'identity') continue;
      cases.push(
        defineCase({
          name: `linear ${B}x${K}x${N} ${activation}${withBias ? ' + bias' : ''}`,
          op: 'linear',
          tolerance: fusedTolerance(K + 1),
          inputs: (rng) => ({
            x: uniformInput(rng, [B, K]),
            w: uniformInput(rng, [K, N]),
            bias: uniformInput(rng, [1, N]),
            out: uniformInput(rng, [B, N]),
          }),
          outputs: ['out'],
          exec: (b, t) => b.linear(t.x, t.w, withBias ? t.bias : null, activation, t.out, 0.2),
          reference: (i) => ({
            out: ref.refActivation(activation, ref.matrix(B, N, ref.refMatmul(m(i.x), m(i.w), false, false)), withBias ? i.bias.data : null, 0.2),
          }),
        }),
      );
    }
  }
  for (const withBias of [true, false]) {
    for (const accumulate of [false, true]) {
      cases.push(
        defineCase({
          name: `linearGrad ${B}x${K}x${N}${withBias ? ' with db' : ''}${accumulate ? ' accumulate' : ''}`,
          op: 'linearGrad',
          tolerance: sumTolerance(B + 1),
          inputs: (rng) => ({
            x: uniformInput(rng, [B, K]),
            g: uniformInput(rng, [B, N]),
            dW: uniformInput(rng, [K, N]),
            db: uniformInput(rng, [1, N]),
          }),
          outputs: ['dW', 'db'],
          exec: (b, t) => b.linearGrad(t.x, t.g, t.dW, withBias ? t.db : null, { accumulate }),
          reference: (i) => ({
            dW: ref.refMatmul(m(i.x), m(i.g), true, false, accumulate ? i.dW.data : undefined),
            db: withBias ? ref.refColumnSum(m(i.g), accumulate ? i.db.data : undefined) : i.db.data,
          }),
        }),
      );
    }
  }
  for (const activation of [...ACTIVATIONS.filter((a) => a !== 'softmax'), null]) {
    cases.push(
      defineCase({
        name: `linearInputGrad ${B}x${K}x${N} ${activation ?? 'no y'}`,
        op: 'linearInputGrad',
        tolerance: sumTolerance(N),
        inputs: (rng) => ({
          g: uniformInput(rng, [B, N]),
          w: uniformInput(rng, [K, N]),
          // An activation's output: ReLU's and sigmoid's in [0, 1), tanh's in (-1, 1).
          y: uniformInput(rng, [B, K], activation === 'relu' || activation === 'sigmoid' ? 0 : -1, 1),
          out: uniformInput(rng, [B, K]),
        }),
        outputs: ['out'],
        exec: (b, t) => b.linearInputGrad(t.g, t.w, activation === null ? null : t.y, activation ?? 'identity', t.out, 0.2),
        reference: (i) => {
          const plain = ref.refMatmul(m(i.g), m(i.w), false, true);
          return { out: activation === null ? plain : ref.refActivationBackward(activation, m(i.y), plain, 0.2) };
        },
      }),
    );
  }
}

// ------------------------------------------------------------------ tdLoss

/** Batch sizes and action counts of the tdLoss cases: one row, odd sizes, and more rows than a workgroup's 256 threads. */
const TD_LOSS_SHAPES = [
  [1, 2],
  [7, 3],
  [64, 2],
  [300, 3],
] as const;

/** tdLoss on a case's tensors (q, nextQ, actions, rewards, terminated, lossOut, gradQ, targets) with the given settings. */
function tdLossOn(b: Backend, t: Record<string, Tensor>, settings: Omit<TdLossArgs, 'q' | 'nextQ' | 'actions' | 'rewards' | 'terminated' | 'lossOut' | 'gradQ' | 'targets'>): void {
  b.tdLoss({ q: t.q, nextQ: t.nextQ, actions: t.actions, rewards: t.rewards, terminated: t.terminated, lossOut: t.lossOut, gradQ: t.gradQ, targets: t.targets, ...settings });
}


for (const [B, A] of TD_LOSS_SHAPES) {
  for (const double of [false, true]) {
    for (const loss of ['huber', 'mse'] as const) {
      for (const ties of [false, true]) {
        if (ties && B !== 64) continue;
        const hp = { batch: B, actions: A, gamma: 0.99, double, loss, delta: 0.7 };
        // With ties, Q values are small integers, so rows hold equal maxima (the first one wins).
        const qInput = (rng: Rng, rows: number) =>
          ties ? constInput([rows, A], Array.from({ length: rows * A }, () => rng.integers(3))) : uniformInput(rng, [rows, A], -2, 2);
        cases.push(
          defineCase({
            name: `tdLoss B=${B} A=${A} ${loss}${double ? ' double' : ''}${ties ? ' ties' : ''}`,
            op: 'tdLoss',
            tolerance: LOSS,
            inputs: (rng) => ({
              q: qInput(rng, double ? 2 * B : B),
              nextQ: qInput(rng, B),
              actions: integerInput(rng, B, A),
              rewards: uniformInput(rng, [B, 1], -1, 1),
              terminated: constInput([B, 1], Array.from({ length: B }, () => (rng.random() < 0.3 ? 1 : 0))),
              lossOut: scalar(5),
              gradQ: uniformInput(rng, [B, A]),
              targets: uniformInput(rng, [B, 1]),
            }),
            outputs: ['lossOut', 'gradQ', 'targets'],
            exec: (b, t) =>
              tdLossOn(b, t, { gamma: hp.gamma, double, loss, delta: hp.delta }),
            reference: (i) => {
              const r = ref.refTdLoss(i.q.data, i.nextQ.data, i.actions.data, i.rewards.data, i.terminated.data, hp);
              return { lossOut: Float64Array.of(r.loss), gradQ: r.gradQ, targets: r.targets };
            },
          }),
        );
      }
    }
  }
}

// tdLoss with per-row discounts (n-step returns): gamma^m, or 0 after a termination; the
// terminated tensor holds values the op must not read (all 1 would zero every target).
for (const [B, A] of [
  [7, 3],
  [64, 2],
  [300, 3],
] as const) {
  for (const double of [false, true]) {
    const hp = { batch: B, actions: A, gamma: 0.99, double, loss: 'huber' as const, delta: 1 };
    cases.push(
      defineCase({
        name: `tdLoss B=${B} A=${A} huber${double ? ' double' : ''} per-row discounts`,
        op: 'tdLoss',
        tolerance: LOSS,
        inputs: (rng) => ({
          q: uniformInput(rng, [double ? 2 * B : B, A], -2, 2),
          nextQ: uniformInput(rng, [B, A], -2, 2),
          actions: integerInput(rng, B, A),
          rewards: uniformInput(rng, [B, 1], -3, 3),
          terminated: constInput([B, 1], Array.from({ length: B }, () => 1)),
          discounts: constInput([B, 1], Array.from({ length: B }, () => (rng.random() < 0.2 ? 0 : Math.fround(0.99 ** (1 + rng.integers(5)))))),
          lossOut: scalar(5),
          gradQ: uniformInput(rng, [B, A]),
          targets: uniformInput(rng, [B, 1]),
        }),
        outputs: ['lossOut', 'gradQ', 'targets'],
        exec: (b, t) =>
          tdLossOn(b, t, { discounts: t.discounts, gamma: hp.gamma, double, loss: hp.loss, delta: hp.delta }),
        reference: (i) => {
          const r = ref.refTdLoss(i.q.data, i.nextQ.data, i.actions.data, i.rewards.data, i.terminated.data, hp, i.discounts.data);
          return { lossOut: Float64Array.of(r.loss), gradQ: r.gradQ, targets: r.targets };
        },
      }),
    );
  }
}

/**
 * A minibatch's other tdLoss tensors, drawn in this order: actions, rewards, terminated flags (30 %),
 * per-row discounts (gamma^m, or 0 for a fifth of the rows), and the outputs' initial contents
 * (gradQ `width` wide).
 */
function transitionInputs(rng: Rng, B: number, A: number, width: number) {
  return {
    actions: integerInput(rng, B, A),
    rewards: uniformInput(rng, [B, 1], -1, 1),
    terminated: constInput([B, 1], Array.from({ length: B }, () => (rng.random() < 0.3 ? 1 : 0))),
    discounts: constInput([B, 1], Array.from({ length: B }, () => (rng.random() < 0.2 ? 0 : Math.fround(0.99 ** (1 + rng.integers(5)))))),
    lossOut: scalar(5),
    gradQ: uniformInput(rng, [B, width]),
    targets: uniformInput(rng, [B, 1]),
  };
}

// tdLoss with Munchausen targets: nextQ holds Q_target(s) above Q_target(s'). A temperature of
// 0.03 (the paper's) makes pi nearly greedy and the bonus mostly clipped; 0.5 keeps pi spread.
for (const [B, A] of TD_LOSS_SHAPES) {
  for (const tau of [0.03, 0.5]) {
    for (const loss of ['huber', 'mse'] as const) {
      for (const discounted of [false, true]) {
        const hp = { batch: B, actions: A, gamma: 0.99, double: false, loss, delta: 0.7, alpha: 0.9, tau, floor: -1 };
        cases.push(
          defineCase({
            name: `tdLoss B=${B} A=${A} ${loss} Munchausen tau ${tau}${discounted ? ' per-row discounts' : ''}`,
            op: 'tdLoss',
            tolerance: LOSS,
            inputs: (rng) => ({
              q: uniformInput(rng, [B, A], -2, 2),
              nextQ: uniformInput(rng, [2 * B, A], -2, 2),
              ...transitionInputs(rng, B, A, A),
            }),
            outputs: ['lossOut', 'gradQ', 'targets'],
            exec: (b, t) =>
              tdLossOn(b, t, { discounts: discounted ? t.discounts : null, gamma: hp.gamma, double: false, loss, delta: hp.delta, munchausen: { alpha: hp.alpha, tau, logPolicyFloor: hp.floor } }),
            reference: (i) => {
              const r = ref.refMunchausenTdLoss(i.q.data, i.nextQ.data, i.actions.data, i.rewards.data, i.terminated.data, hp, discounted ? i.discounts.data : null);
              return { lossOut: Float64Array.of(r.loss), gradQ: r.gradQ, targets: r.targets };
            },
          }),
        );
      }
    }
  }
}

// tdLoss with quantiles (QR-DQN): N outputs per action, the quantile Huber loss. Near-equal
// quantile means with ties (small integers) check that a' is the first largest mean.
for (const [B, A, N] of [
  [1, 2, 2],
  [7, 3, 5],
  [64, 2, 25],
  [130, 3, 8],
] as const) {
  for (const double of [false, true]) {
    for (const discounted of [false, true]) {
      for (const ties of [false, true]) {
        if (ties && B !== 64) continue;
        const hp = { batch: B, actions: A, quantiles: N, gamma: 0.99, double, loss: 'huber' as const, delta: 0.8 };
        const zInput = (rng: Rng, rows: number) =>
          ties ? constInput([rows, A * N], Array.from({ length: rows * A * N }, () => rng.integers(3))) : uniformInput(rng, [rows, A * N], -2, 2);
        cases.push(
          defineCase({
            name: `tdLoss B=${B} A=${A} N=${N} quantiles${double ? ' double' : ''}${discounted ? ' per-row discounts' : ''}${ties ? ' ties' : ''}`,
            op: 'tdLoss',
            tolerance: LOSS,
            inputs: (rng) => ({
              q: zInput(rng, double ? 2 * B : B),
              nextQ: zInput(rng, B),
              ...transitionInputs(rng, B, A, A * N),
            }),
            outputs: ['lossOut', 'gradQ', 'targets'],
            exec: (b, t) =>
              tdLossOn(b, t, { discounts: discounted ? t.discounts : null, gamma: hp.gamma, double, loss: hp.loss, delta: hp.delta, quantiles: N }),
            reference: (i) => {
              const r = ref.refQuantileTdLoss(i.q.data, i.nextQ.data, i.actions.data, i.rewards.data, i.terminated.data, hp, discounted ? i.discounts.data : null);
              return { lossOut: Float64Array.of(r.loss), gradQ: r.gradQ, targets: r.targets };
            },
          }),
        );
      }
    }
  }
}

// ------------------------------------------------------------------ layerNorm

/**
 * (B, n) shapes of the LayerNorm cases: widths 1 (every row its own mean: out = beta, dx = 0),
 * odd and prime widths, one workgroup's 64, several threads' worth per column (127, 1000, 1024),
 * and batches from 1 to 16.
 */
const LAYER_NORM_SHAPES = [
  [4, 1],
  [1, 3],
  [5, 5],
  [7, 8],
  [16, 33],
  [3, 64],
  [9, 127],
  [2, 256],
  [3, 1000],
  [2, 1024],
] as const;

/** x (B, n), gamma and beta (1, n) for LayerNorm, x uniform in [offset - 2, offset + 2). */
function layerNormInputs(rng: Rng, B: number, n: number, offset = 0) {
  return {
    x: uniformInput(rng, [B, n], offset - 2, offset + 2),
    gamma: uniformInput(rng, [1, n], -2, 2),
    beta: uniformInput(rng, [1, n]),
  };
}

for (const [B, n, offset, eps] of [...LAYER_NORM_SHAPES.map(([B, n]) => [B, n, 0, undefined] as const), [6, 33, 100, undefined], [5, 7, 0, 0.5]] as const) {
  cases.push(
    defineCase({
      name: `layerNorm (${B}, ${n})${offset !== 0 ? ` offset ${offset}` : ''}${eps !== undefined ? ` eps ${eps}` : ''}`,
      op: 'layerNorm',
      tolerance: layerNormTolerance(n, Math.abs(offset) + 2),
      inputs: (rng) => ({ ...layerNormInputs(rng, B, n, offset), out: uniformInput(rng, [B, n]), stats: uniformInput(rng, [B, 2]) }),
      outputs: ['out', 'stats'],
      exec: (b, t) => b.layerNorm({ x: t.x, gamma: t.gamma, beta: t.beta, out: t.out, stats: t.stats, eps }),
      reference: (i) => ref.refLayerNorm(m(i.x), i.gamma.data, i.beta.data, eps ?? 1e-5),
    }),
  );
}

/** The backward's variants: dx given (into its own tensor or in place into dy) or skipped, dgamma and dbeta overwritten or accumulated. */
const LAYER_NORM_BACKWARD_VARIANTS = [
  { dx: 'dx', accumulate: false },
  { dx: 'in place', accumulate: true },
  { dx: 'none', accumulate: true },
] as const;

for (const [B, n] of LAYER_NORM_SHAPES) {
  for (const v of LAYER_NORM_BACKWARD_VARIANTS) {
    // Every shape with dx into its own tensor; the other variants on three shapes.
    if (v.dx !== 'dx' && !(n === 5 || n === 127 || n === 1024)) continue;
    cases.push(
      defineCase({
        name: `layerNormBackward (${B}, ${n})${v.dx === 'dx' ? '' : v.dx === 'none' ? ' without dx' : ' dx in place into dy'}${v.accumulate ? ' accumulate' : ''}`,
        op: 'layerNormBackward',
        tolerance: layerNormTolerance(Math.max(B, n), 2),
        inputs: (rng) => {
          const inputs = layerNormInputs(rng, B, n);
          // The forward's stats, as a float32 forward stores them.
          const stats = ref.refLayerNorm(m(inputs.x), inputs.gamma.data, inputs.beta.data, 1e-5).stats.map(Math.fround);
          return {
            ...inputs,
            stats: { shape: [B, 2] as Shape, data: stats },
            dy: uniformInput(rng, [B, n]),
            dx: uniformInput(rng, [B, n]),
            dgamma: uniformInput(rng, [1, n]),
            dbeta: uniformInput(rng, [1, n]),
          };
        },
        outputs: v.dx === 'dx' ? ['dx', 'dgamma', 'dbeta'] : v.dx === 'in place' ? ['dy', 'dgamma', 'dbeta'] : ['dx', 'dgamma', 'dbeta'],
        exec: (b, t) =>
          b.layerNormBackward({
            x: t.x,
            gamma: t.gamma,
            stats: t.stats,
            dy: t.dy,
            dx: v.dx === 'dx' ? t.dx : v.dx === 'in place' ? t.dy : null,
            dgamma: t.dgamma,
            dbeta: t.dbeta,
            accumulate: v.accumulate,
          }),
        reference: (i) => {
          const r = ref.refLayerNormBackward(m(i.x), i.gamma.data, i.stats.data, m(i.dy), v.accumulate ? i.dgamma.data : undefined, v.accumulate ? i.dbeta.data : undefined);
          // Without dx, dx keeps its initial contents.
          const out: Record<string, Float64Array> = { dgamma: r.dgamma, dbeta: r.dbeta };
          out[v.dx === 'in place' ? 'dy' : 'dx'] = v.dx === 'none' ? i.dx.data : r.dx;
          return out;
        },
      }),
    );
  }
}

/**
 * The activation epilogue (forward) and its derivative (backward), each elementwise activation on a
 * shape of several threads' worth per column, ReLU also on a width-1 shape (out = relu(beta)) and on
 * a batch of 16; leaky_relu with a slope of 0.2, not the default. The backward's y is the forward's
 * output as a float32 forward stores it; its variants as above on ReLU (PQN's).
 */
const LAYER_NORM_ACTIVATIONS = [
  ['relu', 0.01, [9, 127]],
  ['relu', 0.01, [4, 1]],
  ['relu', 0.01, [16, 33]],
  ['leaky_relu', 0.2, [9, 127]],
  ['tanh', 0.01, [9, 127]],
  ['sigmoid', 0.01, [7, 8]],
] as const;

for (const [activation, alpha, [B, n]] of LAYER_NORM_ACTIVATIONS) {
  const slope = activation === 'leaky_relu' ? ` slope ${alpha}` : '';
  cases.push(
    defineCase({
      name: `layerNorm (${B}, ${n}) then ${activation}${slope}`,
      op: 'layerNorm',
      tolerance: layerNormActivationTolerance(n, 2),
      inputs: (rng) => ({ ...layerNormInputs(rng, B, n), out: uniformInput(rng, [B, n]), stats: uniformInput(rng, [B, 2]) }),
      outputs: ['out', 'stats'],
      exec: (b, t) => b.layerNorm({ x: t.x, gamma: t.gamma, beta: t.beta, out: t.out, stats: t.stats, activation, alpha }),
      reference: (i) => ref.refLayerNorm(m(i.x), i.gamma.data, i.beta.data, 1e-5, activation, alpha),
    }),
  );
  for (const v of LAYER_NORM_BACKWARD_VARIANTS) {
    if (v.dx !== 'dx' && !(activation === 'relu' && n === 127)) continue;
    cases.push(
      defineCase({
        name: `layerNormBackward (${B}, ${n}) through ${activation}${slope}${v.dx === 'dx' ? '' : v.dx === 'none' ? ' without dx' : ' dx in place into dy'}${v.accumulate ? ' accumulate' : ''}`,
        op: 'layerNormBackward',
        tolerance: layerNormActivationTolerance(Math.max(B, n), 2),
        inputs: (rng) => {
          const inputs = layerNormInputs(rng, B, n);
          const forward = ref.refLayerNorm(m(inputs.x), inputs.gamma.data, inputs.beta.data, 1e-5, activation, alpha);
          return {
            ...inputs,
            stats: { shape: [B, 2] as Shape, data: forward.stats.map(Math.fround) },
            y: { shape: [B, n] as Shape, data: forward.out.map(Math.fround) },
            dy: uniformInput(rng, [B, n]),
            dx: uniformInput(rng, [B, n]),
            dgamma: uniformInput(rng, [1, n]),
            dbeta: uniformInput(rng, [1, n]),
          };
        },
        outputs: v.dx === 'dx' ? ['dx', 'dgamma', 'dbeta'] : v.dx === 'in place' ? ['dy', 'dgamma', 'dbeta'] : ['dx', 'dgamma', 'dbeta'],
        exec: (b, t) =>
          b.layerNormBackward({
            x: t.x,
            gamma: t.gamma,
            stats: t.stats,
            dy: t.dy,
            dx: v.dx === 'dx' ? t.dx : v.dx === 'in place' ? t.dy : null,
            dgamma: t.dgamma,
            dbeta: t.dbeta,
            accumulate: v.accumulate,
            y: t.y,
            activation,
            alpha,
          }),
        reference: (i) => {
          const dy = ref.refActivationBackward(activation, m(i.y), i.dy.data, alpha);
          const r = ref.refLayerNormBackward(m(i.x), i.gamma.data, i.stats.data, ref.matrix(B, n, dy), v.accumulate ? i.dgamma.data : undefined, v.accumulate ? i.dbeta.data : undefined);
          const out: Record<string, Float64Array> = { dgamma: r.dgamma, dbeta: r.dbeta };
          out[v.dx === 'in place' ? 'dy' : 'dx'] = v.dx === 'none' ? i.dx.data : r.dx;
          return out;
        },
      }),
    );
  }
}

// ------------------------------------------------------------------ qLambdaReturns

/**
 * A rollout of T steps of N envs for qLambdaReturns: rewards in [-1, 1), about 10 % of steps
 * terminated, 10 % truncated and 3 % both, and boundaries forced at the first and the last step
 * (even envs: terminated at t = 0, truncated at t = T - 1; odd envs the other way round). nextQ
 * (T N, A) is uniform in [-2, 2) except on terminated steps, whose rows hold 1e30: the op must not
 * use them.
 */
function rolloutInputs(rng: Rng, T: number, N: number, A: number) {
  const { terminated, truncated } = rolloutFlags(rng, T, N);
  const nextQ = f32Uniform(rng, T * N * A, -2, 2);
  for (let i = 0; i < T * N; i++) if (terminated.data[i] !== 0) nextQ.fill(1e30, i * A, (i + 1) * A);
  return {
    rewards: uniformInput(rng, [T, N]),
    terminated,
    truncated,
    nextQ: constInput([T * N, A], nextQ),
    returns: uniformInput(rng, [T, N]),
  };
}

/**
 * A rollout's (T, N) flags: about 10 % of steps terminated, 10 % truncated and 3 % both, and
 * boundaries forced at the first and the last step (even envs: terminated at t = 0, truncated at
 * t = T - 1; odd envs the other way round).
 */
function rolloutFlags(rng: Rng, T: number, N: number) {
  const terminated = new Float64Array(T * N);
  const truncated = new Float64Array(T * N);
  for (let i = 0; i < T * N; i++) {
    const u = rng.random();
    terminated[i] = u < 0.1 || (u >= 0.2 && u < 0.23) ? 1 : 0;
    truncated[i] = u >= 0.1 && u < 0.23 ? 1 : 0;
  }
  for (let n = 0; n < N; n++) {
    (n % 2 === 0 ? terminated : truncated)[n] = 1;
    (n % 2 === 0 ? truncated : terminated)[(T - 1) * N + n] = 1;
  }
  return { terminated: { shape: [T, N] as Shape, data: terminated }, truncated: { shape: [T, N] as Shape, data: truncated } };
}

const Q_LAMBDA_SHAPES = [1, 5, 64].flatMap((T) => [1, 3, 32].map((N) => ({ T, N, A: 3, gamma: 0.99, lambda: 0.65 })));
for (const c of [
  ...Q_LAMBDA_SHAPES,
  // One-step targets (lambda 0), Monte Carlo returns cut at episode ends (lambda 1), no discount,
  // and Q values already reduced to their max (A = 1).
  { T: 5, N: 3, A: 3, gamma: 0.99, lambda: 0 },
  { T: 64, N: 3, A: 3, gamma: 0.99, lambda: 1 },
  { T: 5, N: 32, A: 2, gamma: 1, lambda: 0.9 },
  { T: 64, N: 32, A: 1, gamma: 0.99, lambda: 0.65 },
]) {
  cases.push(
    defineCase({
      name: `qLambdaReturns T=${c.T} N=${c.N} A=${c.A} gamma ${c.gamma} lambda ${c.lambda}`,
      op: 'qLambdaReturns',
      // |r| <= 1 and |V| <= 2, so |G[t]| <= (T - t) + 2.
      tolerance: scanTolerance(c.T, c.T + 2),
      inputs: (rng) => rolloutInputs(rng, c.T, c.N, c.A),
      outputs: ['returns'],
      exec: (b, t) => b.qLambdaReturns({ ...t, gamma: c.gamma, lambda: c.lambda }),
      reference: (i) => ({
        returns: ref.refQLambdaReturns(i.rewards.data, i.terminated.data, i.truncated.data, i.nextQ.data, { steps: c.T, envs: c.N, actions: c.A }, c.gamma, c.lambda),
      }),
    }),
  );
}

// By hand, from the equations (T = 3, N = 2, A = 2, gamma = lambda = 0.5; every value exact in
// float32). Env 0: a plain step, a termination, the rollout's last step; env 1: a truncation at
// the first step, a plain step, a termination at the last. Rows t hold [env 0, env 1]; nextQ's
// rows are (t, n) = (0, 0), (0, 1), (1, 0), ... and its terminated rows are never used.
//   env 0: G2 = 3 + 0.5 max(4, 0) = 5;  G1 = 2 (terminated);  G0 = 1 + 0.5 (0.5 G1 + 0.5 max(2, 6)) = 3.
//   env 1: G2 = 6 (terminated);  G1 = 5 + 0.5 (0.5 G2 + 0.5 max(-4, 2)) = 7;
//          G0 = 4 + 0.5 max(8, -2) = 8 (truncated: it bootstraps from the final observation, no lambda term).
cases.push(
  defineCase({
    name: 'qLambdaReturns by hand T=3 N=2 A=2',
    op: 'qLambdaReturns',
    tolerance: EXACT,
    inputs: () => ({
      rewards: constInput([3, 2], [1, 4, 2, 5, 3, 6]),
      terminated: constInput([3, 2], [0, 0, 1, 0, 0, 1]),
      truncated: constInput([3, 2], [0, 1, 0, 0, 0, 0]),
      nextQ: constInput([6, 2], [2, 6, 8, -2, 1000, -1000, -4, 2, 4, 0, 10, 10]),
      returns: constInput([3, 2], [0, 0, 0, 0, 0, 0]),
    }),
    outputs: ['returns'],
    exec: (b, t) => b.qLambdaReturns({ ...t, gamma: 0.5, lambda: 0.5 }),
    reference: () => ({ returns: Float64Array.of(3, 8, 2, 7, 5, 6) }),
  }),
);

// ------------------------------------------------------------------ ppoLoss

/** The settings of a ppoLoss case: CleanRL's coefficients, and what the case switches on. */
interface PpoCase {
  head: 'categorical' | 'gaussian';
  B: number;
  k: number;
  normalizeAdvantages: boolean;
  valueClip: number;
}

const PPO_CLIP = 0.2;
const PPO_ENT_COEF = 0.01;
const PPO_VF_COEF = 0.5;
/** How far (at least) the cases keep a ratio from 1 +- clipCoef and a value step from +-valueClip, where a float32 rounding could flip a branch. */
const PPO_BRANCH_MARGIN = 1e-3;

/** A draw of uniform(lo, hi) at least PPO_BRANCH_MARGIN away from each of `avoid`. */
function awayFrom(rng: Rng, lo: number, hi: number, avoid: readonly number[]): number {
  for (;;) {
    const x = rng.uniform(lo, hi);
    if (avoid.every((a) => Math.abs(x - a) >= PPO_BRANCH_MARGIN)) return x;
  }
}

/**
 * A minibatch for ppoLoss: logits in [-2, 2) (categorical) or means in [-1, 1) with log-stds in
 * [-1, 0.5) and actions within 2 sigma (gaussian); old log-probabilities log pi - delta with
 * delta in [-0.4, 0.4), so ratios exp(delta) in [0.67, 1.49] fall inside and outside the clip
 * range 1 +- 0.2 (never within PPO_BRANCH_MARGIN of it); advantages in [-2, 2); old values in
 * [-1, 1), values within 0.5 of them (inside and outside a value clip of 0.2), returns in [-1.5,
 * 1.5); the outputs filled with values the op must overwrite.
 */
function ppoInputs(rng: Rng, c: PpoCase) {
  const { B, k } = c;
  const gaussian = c.head === 'gaussian';
  const out = uniformInput(rng, [B, k], gaussian ? -1 : -2, gaussian ? 1 : 2);
  const logStd = uniformInput(rng, [1, k], -1, 0.5);
  const actions = gaussian
    ? constInput([B, k], Array.from({ length: B * k }, (_, e) => out.data[e] + Math.exp(logStd.data[e % k]) * rng.uniform(-2, 2)))
    : integerInput(rng, B, k);
  const logp = ref.refLogProb(c.head, out.data, logStd.data, actions.data, B, k);
  const logRatios = Array.from({ length: B }, () => Math.log(awayFrom(rng, Math.exp(-0.4), Math.exp(0.4), [1 - PPO_CLIP, 1 + PPO_CLIP])));
  const oldValues = uniformInput(rng, [B, 1]);
  const steps = Array.from({ length: B }, () => awayFrom(rng, -0.5, 0.5, [-PPO_CLIP, PPO_CLIP]));
  return {
    out,
    ...(gaussian ? { logStd, gradLogStd: uniformInput(rng, [1, k]) } : {}),
    actions,
    oldLogProb: constInput([B, 1], Array.from(logp, (l, i) => l - logRatios[i])),
    advantages: uniformInput(rng, [B, 1], -2, 2),
    values: constInput([B, 1], Array.from(oldValues.data, (v, i) => v + steps[i])),
    returns: uniformInput(rng, [B, 1], -1.5, 1.5),
    oldValues,
    gradOut: uniformInput(rng, [B, k]),
    gradValues: uniformInput(rng, [B, 1]),
    stats: uniformInput(rng, [1, PPO_LOSS_STATS.length]),
  };
}

const PPO_CASES: PpoCase[] = [];
for (const head of ['categorical', 'gaussian'] as const) {
  for (const B of [37, 300]) {
    for (const normalizeAdvantages of [false, true]) {
      for (const valueClip of [0, PPO_CLIP]) PPO_CASES.push({ head, B, k: head === 'gaussian' ? 3 : 4, normalizeAdvantages, valueClip });
    }
  }
  // One row (no normalisation), a workgroup's 64 rows, one action or dimension.
  PPO_CASES.push({ head, B: 1, k: 2, normalizeAdvantages: false, valueClip: PPO_CLIP });
  PPO_CASES.push({ head, B: 64, k: 1, normalizeAdvantages: true, valueClip: 0 });
}
for (const c of PPO_CASES) {
  const gaussian = c.head === 'gaussian';
  cases.push(
    defineCase({
      name: `ppoLoss ${c.head} B=${c.B} k=${c.k}${c.normalizeAdvantages ? ' normalised' : ''}${c.valueClip > 0 ? ' value clip' : ''}`,
      op: 'ppoLoss',
      tolerance: PPO_LOSS,
      inputs: (rng) => ppoInputs(rng, c),
      outputs: gaussian ? ['stats', 'gradOut', 'gradLogStd', 'gradValues'] : ['stats', 'gradOut', 'gradValues'],
      exec: (b, t) =>
        b.ppoLoss({
          head: c.head,
          out: t.out,
          logStd: gaussian ? t.logStd : null,
          actions: t.actions,
          oldLogProb: t.oldLogProb,
          advantages: t.advantages,
          normalizeAdvantages: c.normalizeAdvantages,
          clipCoef: PPO_CLIP,
          entCoef: PPO_ENT_COEF,
          values: t.values,
          returns: t.returns,
          oldValues: t.oldValues,
          valueClip: c.valueClip,
          vfCoef: PPO_VF_COEF,
          gradOut: t.gradOut,
          gradLogStd: gaussian ? t.gradLogStd : null,
          gradValues: t.gradValues,
          stats: t.stats,
        }),
      reference: (i) => {
        const r = ref.refPpoLoss({
          head: c.head,
          batch: c.B,
          k: c.k,
          out: i.out.data,
          logStd: gaussian ? (i.logStd as { data: Float64Array }).data : null,
          actions: i.actions.data,
          oldLogProb: i.oldLogProb.data,
          advantages: i.advantages.data,
          normalizeAdvantages: c.normalizeAdvantages,
          clipCoef: PPO_CLIP,
          entCoef: PPO_ENT_COEF,
          values: i.values.data,
          returns: i.returns.data,
          oldValues: i.oldValues.data,
          valueClip: c.valueClip,
          vfCoef: PPO_VF_COEF,
        });
        return { stats: r.stats, gradOut: r.gradOut, gradValues: r.gradValues, ...(r.gradLogStd === null ? {} : { gradLogStd: r.gradLogStd }) };
      },
    }),
  );
}

// ------------------------------------------------------------------ envStep

/**
 * N CartPole envs mid-episode: x in [-2.3, 2.3], velocities in [-2, 2], theta within 0.19; a fifth
 * of them at the edge moving out (x = +-2.39 or theta = +-0.205, so the step terminates them), some
 * at step 499 (the step truncates them, a few of those terminating too), RNG counters up to 2^20.
 */
function cartPoleInputs(rng: Rng, n: number) {
  const state = new Float64Array(7 * n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    const sign = rng.random() < 0.5 ? -1 : 1;
    state[i] = u < 0.1 ? sign * 2.39 : rng.uniform(-2.3, 2.3);
    state[n + i] = u < 0.1 ? sign * rng.uniform(1, 2) : rng.uniform(-2, 2);
    state[2 * n + i] = u >= 0.1 && u < 0.2 ? sign * 0.205 : rng.uniform(-0.19, 0.19);
    state[3 * n + i] = u >= 0.1 && u < 0.2 ? sign * rng.uniform(1, 2) : rng.uniform(-2, 2);
    state[4 * n + i] = u >= 0.15 && u < 0.3 ? 499 : rng.integers(499);
    state[5 * n + i] = state[4 * n + i];
    state[6 * n + i] = rng.integers(2 ** 20);
  }
  return envStepInputs(rng, n, 7, 4, 2, state);
}

for (const [n, seed] of [
  [1, 0],
  [100, 7],
  [300, 2 ** 40 + 12345],
] as const) {
  cases.push(
    defineCase({
      name: `envStep CartPole-v1 N=${n} seed ${seed}`,
      op: 'envStep',
      tolerance: ENV_STEP,
      inputs: (rng) => cartPoleInputs(rng, n),
      outputs: ['state', 'obs', 'finalObs', 'rewards', 'terminated', 'truncated', 'episodes'],
      exec: (b, t) => b.envStep({ env: 'CartPole-v1', seed, ...t }),
      reference: (i) => ref.refCartPoleStep(i.state.data, i.actions.data, n, seed),
    }),
  );
}

/**
 * N Acrobot envs mid-episode: angles in [-pi, pi], velocities within half their bounds (2 pi and
 * 4.5 pi: faster, one RK4 step of 0.2 s amplifies float32 rounding beyond ACROBOT_STEP; see
 * tolerances.ts), about a fifth of the steps terminating (-cos theta1 - cos(theta1 + theta2) > 1),
 * some at step 499 (truncated), RNG counters up to 2^20.
 */
function acrobotInputs(rng: Rng, n: number) {
  const state = new Float64Array(7 * n);
  const [v1, v2] = [2 * Math.PI, 4.5 * Math.PI];
  for (let i = 0; i < n; i++) {
    state[i] = rng.uniform(-Math.PI, Math.PI);
    state[n + i] = rng.uniform(-Math.PI, Math.PI);
    state[2 * n + i] = rng.uniform(-v1, v1);
    state[3 * n + i] = rng.uniform(-v2, v2);
    state[4 * n + i] = rng.random() < 0.15 ? 499 : rng.integers(499);
    state[5 * n + i] = -state[4 * n + i];
    state[6 * n + i] = rng.integers(2 ** 20);
  }
  return envStepInputs(rng, n, 7, 6, 3, state);
}

/**
 * N MountainCar envs: positions in [-1.2, 0.55], velocities within 0.07; a tenth at the left wall
 * moving left (clipped, the velocity zeroed), a tenth just short of the goal moving right (the step
 * terminates them), some at step 199 (truncated), RNG counters up to 2^20.
 */
function mountainCarInputs(rng: Rng, n: number) {
  const state = new Float64Array(5 * n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    state[i] = u < 0.1 ? rng.uniform(-1.2, -1.17) : u < 0.2 ? rng.uniform(0.45, 0.49) : rng.uniform(-1.2, 0.55);
    state[n + i] = u < 0.1 ? rng.uniform(-0.07, -0.04) : u < 0.2 ? rng.uniform(0.03, 0.07) : rng.uniform(-0.07, 0.07);
    state[2 * n + i] = rng.random() < 0.15 ? 199 : rng.integers(199);
    state[3 * n + i] = -state[2 * n + i];
    state[4 * n + i] = rng.integers(2 ** 20);
  }
  return envStepInputs(rng, n, 5, 2, 3, state);
}

/** envStep's tensors for N envs of `rows` state rows from `state` (rounded to float32), the other tensors' initial contents random. */
function envStepInputs(rng: Rng, n: number, rows: number, obsDim: number, actions: number, state: Float64Array) {
  return {
    state: { shape: [rows, n] as Shape, data: state.map((v) => Math.fround(v)) },
    actions: integerInput(rng, n, actions),
    obs: uniformInput(rng, [n, obsDim]),
    finalObs: uniformInput(rng, [n, obsDim]),
    rewards: uniformInput(rng, [n, 1]),
    terminated: uniformInput(rng, [n, 1]),
    truncated: uniformInput(rng, [n, 1]),
    episodes: uniformInput(rng, [2, n]),
  };
}

for (const [n, seed] of [
  [1, 0],
  [100, 7],
  [300, 2 ** 40 + 12345],
] as const) {
  cases.push(
    defineCase({
      name: `envStep Acrobot-v1 N=${n} seed ${seed}`,
      op: 'envStep',
      tolerance: ACROBOT_STEP,
      inputs: (rng) => acrobotInputs(rng, n),
      outputs: ['state', 'obs', 'finalObs', 'rewards', 'terminated', 'truncated', 'episodes'],
      exec: (b, t) => b.envStep({ env: 'Acrobot-v1', seed, ...t }),
      reference: (i) => ref.refAcrobotStep(i.state.data, i.actions.data, n, seed),
    }),
    defineCase({
      name: `envStep MountainCar-v0 N=${n} seed ${seed}`,
      op: 'envStep',
      tolerance: MOUNTAIN_CAR_STEP,
      inputs: (rng) => mountainCarInputs(rng, n),
      outputs: ['state', 'obs', 'finalObs', 'rewards', 'terminated', 'truncated', 'episodes'],
      exec: (b, t) => b.envStep({ env: 'MountainCar-v0', seed, ...t }),
      reference: (i) => ref.refMountainCarStep(i.state.data, i.actions.data, n, seed),
    }),
  );
}

// ------------------------------------------------------------------ gatherRows
// shaders/gather-rows.wgsl on WebGPU against the CPU backend's gather, via the conformance table.

// Exact: copies. Repeated and out-of-order indices; a source larger than the minibatch and one smaller.
for (const [srcRows, rows, cols] of [
  [10, 4, 3],
  [300, 128, 4],
  [5, 9, 1],
] as const) {
  cases.push(
    defineCase({
      name: `gatherRows (${srcRows}, ${cols}) -> (${rows}, ${cols})`,
      op: 'gatherRows',
      tolerance: EXACT,
      inputs: (rng) => ({ x: uniformInput(rng, [srcRows, cols]), idx: { shape: [rows] as Shape, data: Float64Array.from({ length: rows }, () => rng.integers(srcRows)) }, out: uniformInput(rng, [rows, cols]) }),
      outputs: ['out'],
      exec: (b, t) => b.gatherRows(t.x, t.idx, t.out),
      reference: (i) => ref.refGatherRows(i.x.data, i.idx.data, cols),
    }),
  );
}

// ------------------------------------------------------------------ epsilonGreedy

// Exact: a choice from exact comparisons. Q holds small integers in half the cases, so rows tie
// (the lowest index must win); counters reach 2^32 - 1 and a seed passes 2^32.
for (const [n, nActions, epsilon, seed, counter, ties] of [
  [1, 2, 0.5, 0, 0, false],
  [100, 4, 0.3, 7, 123_456_789, true],
  [300, 3, 1, 2 ** 40 + 12345, 2 ** 32 - 1, false],
  [200, 5, 0, 3, 17, true],
  [257, 2, 0.05, 11, 2 ** 24 + 1, false],
] as const) {
  cases.push(
    defineCase({
      name: `epsilonGreedy N=${n} A=${nActions} epsilon ${epsilon} seed ${seed} counter ${counter}${ties ? ' ties' : ''}`,
      op: 'epsilonGreedy',
      tolerance: EXACT,
      inputs: (rng) => ({
        q: ties ? { shape: [n, nActions] as Shape, data: Float64Array.from({ length: n * nActions }, () => rng.integers(3)) } : uniformInput(rng, [n, nActions]),
        actions: uniformInput(rng, [n, 1]),
      }),
      outputs: ['actions'],
      exec: (b, t) => b.epsilonGreedy({ q: t.q, epsilon, seed, counter, actions: t.actions }),
      reference: (i) => ref.refEpsilonGreedy(i.q.data, n, nActions, epsilon, seed, counter),
    }),
  );
}

// ------------------------------------------------------------------ gaeAdvantages

/**
 * A rollout of T steps of N envs for gaeAdvantages: rewards in [-1, 1), values and next values in
 * [-2, 2), about 10 % of steps terminated, 10 % truncated and 3 % both (rolloutFlags), with
 * boundaries forced at the first and the last step. Terminated steps' next values hold 1e30: the op
 * must not use them.
 */
function gaeInputs(rng: Rng, T: number, N: number) {
  const { terminated, truncated } = rolloutFlags(rng, T, N);
  const nextValues = f32Uniform(rng, T * N, -2, 2);
  for (let i = 0; i < T * N; i++) if (terminated.data[i] !== 0) nextValues[i] = 1e30;
  return {
    rewards: uniformInput(rng, [T, N]),
    values: uniformInput(rng, [T, N], -2, 2),
    nextValues: constInput([T, N], nextValues),
    terminated,
    truncated,
    advantages: uniformInput(rng, [T, N]),
    returns: uniformInput(rng, [T, N]),
  };
}

for (const c of [
  { T: 1, N: 37, gamma: 0.99, lambda: 0.95 },
  { T: 8, N: 37, gamma: 0.99, lambda: 0.95 },
  { T: 32, N: 300, gamma: 0.99, lambda: 0.95 },
  // One-step advantages (lambda 0), undiscounted Monte Carlo advantages cut at episode ends.
  { T: 16, N: 64, gamma: 0.9, lambda: 0 },
  { T: 64, N: 5, gamma: 1, lambda: 1 },
]) {
  cases.push(
    defineCase({
      name: `gaeAdvantages T=${c.T} N=${c.N} gamma ${c.gamma} lambda ${c.lambda}`,
      op: 'gaeAdvantages',
      // |delta| <= 1 + 2 + 2, so |A| <= 5 T and |A + V| <= 5 T + 2 (gamma lambda <= 1).
      tolerance: scanTolerance(c.T, 5 * c.T + 2),
      inputs: (rng) => gaeInputs(rng, c.T, c.N),
      outputs: ['advantages', 'returns'],
      exec: (b, t) => b.gaeAdvantages({ ...t, gamma: c.gamma, lambda: c.lambda }),
      reference: (i) => ref.refGae(i.rewards.data, i.values.data, i.nextValues.data, i.terminated.data, i.truncated.data, { steps: c.T, envs: c.N }, c.gamma, c.lambda),
    }),
  );
}

// By hand, from the equations (T = 3, N = 2, gamma = lambda = 0.5, so gamma lambda = 0.25; every
// value exact in float32). Rows t hold [env 0, env 1]. Env 0: a plain step, a termination, the
// rollout's last step; env 1: a truncation at the first step, a plain step, a termination at the last.
//   env 0: t2 delta = 5 + 0.5 5 - 2.5 = 5, A = 5 (last step);  t1 terminated: A = delta = 3 - 1.5 = 1.5;
//          t0 delta = 1 + 0.5 1 - 0.5 = 1, A = 1 + 0.25 1.5 = 1.375.
//   env 1: t2 terminated: A = 6 - 3 = 3 (its next value 100 unused);  t1 delta = 4 + 0.5 4 - 2 = 4,
//          A = 4 + 0.25 3 = 4.75;  t0 truncated: A = delta = 2 + 0.5 2 - 1 = 2 (bootstrapped, no carry).
//   returns = A + values.
export const GAE_BY_HAND = {
  rewards: [1, 2, 3, 4, 5, 6],
  values: [0.5, 1, 1.5, 2, 2.5, 3],
  nextValues: [1, 2, 3, 4, 5, 100],
  terminated: [0, 0, 1, 0, 0, 1],
  truncated: [0, 1, 0, 0, 0, 0],
  advantages: [1.375, 2, 1.5, 4.75, 5, 3],
  returns: [1.875, 3, 3, 6.75, 7.5, 6],
} as const;
cases.push(
  defineCase({
    name: 'gaeAdvantages by hand T=3 N=2',
    op: 'gaeAdvantages',
    tolerance: EXACT,
    inputs: () => ({
      rewards: constInput([3, 2], GAE_BY_HAND.rewards),
      values: constInput([3, 2], GAE_BY_HAND.values),
      nextValues: constInput([3, 2], GAE_BY_HAND.nextValues),
      terminated: constInput([3, 2], GAE_BY_HAND.terminated),
      truncated: constInput([3, 2], GAE_BY_HAND.truncated),
      advantages: constInput([3, 2], [0, 0, 0, 0, 0, 0]),
      returns: constInput([3, 2], [0, 0, 0, 0, 0, 0]),
    }),
    outputs: ['advantages', 'returns'],
    exec: (b, t) => b.gaeAdvantages({ ...t, gamma: 0.5, lambda: 0.5 }),
    reference: () => ({ advantages: Float64Array.from(GAE_BY_HAND.advantages), returns: Float64Array.from(GAE_BY_HAND.returns) }),
  }),
);

// ------------------------------------------------------------------ policySample

/**
 * How far a categorical case keeps each row's u from its cumulative probabilities p_0 + ... + p_a
 * (a < k - 1; the last is 1, above every u): float32 softmax and sums are off by a few ulps of 1
 * per term (lavapipe's exp included), far below this, so every backend picks the float64 action.
 */
const CATEGORICAL_MARGIN = 1e-4;

/**
 * N rows of k logits in [-3, 3) (small integers with `ties`, so rows tie), each row drawn again
 * until its u (Philox block (counter, row, 1, 0)) lies CATEGORICAL_MARGIN or more from every step of
 * its float64 cumulative distribution: the actions then compare exactly across precisions.
 */
function categoricalLogits(rng: Rng, n: number, k: number, seed: number, counter: number, ties: boolean): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const u = ref.refCategoricalUniform(seed, counter, i);
    for (;;) {
      const row = ties ? Float64Array.from({ length: k }, () => rng.integers(3)) : f32Uniform(rng, k, -3, 3);
      const { p } = ref.refSoftmax(row);
      let cdf = 0;
      let clear = true;
      for (let a = 0; a < k - 1 && clear; a++) clear = Math.abs(u - (cdf += p[a])) >= CATEGORICAL_MARGIN;
      if (!clear) continue;
      out.set(row, i * k);
      break;
    }
  }
  return out;
}

// Actions are compared under the case's tolerance, far below 1: exactly, since they are integers.
for (const [n, k, seed, counter, ties] of [
  [37, 5, 0, 0, false],
  [300, 7, 2 ** 40 + 12345, 2 ** 32 - 1, false],
  [100, 3, 7, 123_456_789, true],
  [37, 1, 3, 17, false],
] as const) {
  cases.push(
    defineCase({
      name: `policySample categorical N=${n} k=${k} seed ${seed} counter ${counter}${ties ? ' ties' : ''}`,
      op: 'policySample',
      tolerance: POLICY_CATEGORICAL,
      inputs: (rng) => ({
        out: { shape: [n, k] as Shape, data: categoricalLogits(rng, n, k, seed, counter, ties) },
        actions: uniformInput(rng, [n, 1]),
        logProb: uniformInput(rng, [n, 1]),
      }),
      outputs: ['actions', 'logProb'],
      exec: (b, t) => b.policySample({ head: 'categorical', out: t.out, logStd: null, seed, counter, actions: t.actions, logProb: t.logProb }),
      reference: (i) => ref.refPolicySample('categorical', i.out.data, null, n, k, seed, counter),
    }),
  );
}

for (const [n, k, seed, counter] of [
  [37, 1, 0, 0],
  [37, 4, 5, 99],
  [300, 3, 2 ** 40 + 12345, 2 ** 32 - 1],
  [65, 6, 11, 2 ** 24 + 1],
] as const) {
  cases.push(
    defineCase({
      name: `policySample gaussian N=${n} k=${k} seed ${seed} counter ${counter}`,
      op: 'policySample',
      tolerance: POLICY_GAUSSIAN,
      inputs: (rng) => ({
        out: uniformInput(rng, [n, k], -2, 2),
        logStd: uniformInput(rng, [1, k], -1.5, 0.5),
        actions: uniformInput(rng, [n, k]),
        logProb: uniformInput(rng, [n, 1]),
      }),
      outputs: ['actions', 'logProb'],
      exec: (b, t) => b.policySample({ head: 'gaussian', out: t.out, logStd: t.logStd, seed, counter, actions: t.actions, logProb: t.logProb }),
      reference: (i) => ref.refPolicySample('gaussian', i.out.data, i.logStd.data, n, k, seed, counter),
    }),
  );
}

// ------------------------------------------------------------------ columnSum

for (const [rows, cols, accumulate] of [
  [7, 5, false],
  [7, 5, true],
  [1, 9, false],
  [300, 3, true],
] as const) {
  cases.push(
    defineCase({
      name: `columnSum (${rows}, ${cols})${accumulate ? ' accumulate' : ''}`,
      op: 'columnSum',
      tolerance: sumTolerance(rows + 1),
      inputs: (rng) => ({ x: uniformInput(rng, [rows, cols]), out: uniformInput(rng, [1, cols]) }),
      outputs: ['out'],
      exec: (b, t) => b.columnSum(t.x, t.out, { accumulate }),
      reference: (i) => ({ out: ref.refColumnSum(m(i.x), accumulate ? i.out.data : undefined) }),
    }),
  );
}

// ------------------------------------------------------------------ activations

for (const activation of ACTIVATIONS) {
  for (const withBias of [true, false]) {
    cases.push(
      defineCase({
        name: `biasActivation ${activation}${withBias ? ' + bias' : ''} (6, 5)`,
        op: 'biasActivation',
        tolerance: TRANSCENDENTAL,
        inputs: (rng) => ({ x: uniformInput(rng, [6, 5], -3, 3), bias: uniformInput(rng, [1, 5]), out: uniformInput(rng, [6, 5]) }),
        outputs: ['out'],
        exec: (b, t) => b.biasActivation(t.x, withBias ? t.bias : null, activation, t.out),
        reference: (i) => ({ out: ref.refActivation(activation, m(i.x), withBias ? i.bias.data : null) }),
      }),
    );
  }
  cases.push(
    defineCase({
      name: `activationBackward ${activation} (6, 5)`,
      op: 'activationBackward',
      tolerance: FEW_OPS,
      inputs: (rng) => {
        const x = uniformInput(rng, [6, 5], -3, 3);
        const y = ref.refActivation(activation, m(x), null).map((v) => Math.fround(v));
        return { y: { shape: [6, 5] as Shape, data: y }, g: uniformInput(rng, [6, 5]), gradIn: uniformInput(rng, [6, 5]) };
      },
      outputs: ['gradIn'],
      exec: (b, t) => b.activationBackward(activation, t.y, t.g, t.gradIn),
      reference: (i) => ({ gradIn: ref.refActivationBackward(activation, m(i.y), i.g.data) }),
    }),
  );
}

cases.push(
  defineCase({
    name: 'biasActivation leaky_relu alpha 0.2 in place (4, 6)',
    op: 'biasActivation',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ x: uniformInput(rng, [4, 6]), bias: uniformInput(rng, [6]) }),
    outputs: ['x'],
    exec: (b, t) => b.biasActivation(t.x, t.bias, 'leaky_relu', t.x, 0.2),
    reference: (i) => ({ x: ref.refActivation('leaky_relu', m(i.x), i.bias.data, 0.2) }),
  }),
  defineCase({
    name: 'biasActivation softmax with large logits (3, 4)',
    op: 'biasActivation',
    tolerance: TRANSCENDENTAL,
    inputs: () => ({
      x: constInput([3, 4], [1000, 999, 998, -1000, 88, 89, 90, 91, -500, -500, -501, -499]),
      out: constInput([3, 4], new Array(12).fill(0)),
    }),
    outputs: ['out'],
    exec: (b, t) => b.biasActivation(t.x, null, 'softmax', t.out),
    reference: (i) => ({ out: ref.refActivation('softmax', m(i.x), null) }),
  }),
  defineCase({
    name: 'biasActivation tanh at |x| > 100 (1, 6)',
    op: 'biasActivation',
    tolerance: TRANSCENDENTAL,
    inputs: () => ({ x: constInput([1, 6], [-1e4, -150, -100.5, 100.5, 150, 1e4]), out: constInput([1, 6], new Array(6).fill(0)) }),
    outputs: ['out'],
    exec: (b, t) => b.biasActivation(t.x, null, 'tanh', t.out),
    reference: (i) => ({ out: ref.refActivation('tanh', m(i.x), null) }),
  }),
  defineCase({
    name: 'biasActivation sigmoid at |x| > 100 (1, 4)',
    op: 'biasActivation',
    tolerance: TRANSCENDENTAL,
    inputs: () => ({ x: constInput([1, 4], [-1000, -120, 120, 1000]), out: constInput([1, 4], [0, 0, 0, 0]) }),
    outputs: ['out'],
    exec: (b, t) => b.biasActivation(t.x, null, 'sigmoid', t.out),
    reference: (i) => ({ out: ref.refActivation('sigmoid', m(i.x), null) }),
  }),
  defineCase({
    name: 'activationBackward leaky_relu alpha 0.2 into gradOut (4, 6)',
    op: 'activationBackward',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ y: uniformInput(rng, [4, 6]), g: uniformInput(rng, [4, 6]) }),
    outputs: ['g'],
    exec: (b, t) => b.activationBackward('leaky_relu', t.y, t.g, t.g, 0.2),
    reference: (i) => ({ g: ref.refActivationBackward('leaky_relu', m(i.y), i.g.data, 0.2) }),
  }),
  defineCase({
    name: 'activationBackward softmax into gradOut (3, 7)',
    op: 'activationBackward',
    tolerance: FEW_OPS,
    inputs: (rng) => {
      const x = uniformInput(rng, [3, 7], -2, 2);
      return { y: { shape: [3, 7] as Shape, data: ref.refActivation('softmax', m(x), null).map(Math.fround) }, g: uniformInput(rng, [3, 7]) };
    },
    outputs: ['g'],
    exec: (b, t) => b.activationBackward('softmax', t.y, t.g, t.g),
    reference: (i) => ({ g: ref.refActivationBackward('softmax', m(i.y), i.g.data) }),
  }),
);

// ------------------------------------------------------------------ indexing and row reductions

cases.push(
  defineCase({
    name: 'gatherColumns (9, 4)',
    op: 'gatherColumns',
    tolerance: EXACT,
    inputs: (rng) => ({ x: uniformInput(rng, [9, 4]), idx: integerInput(rng, 9, 4), out: uniformInput(rng, [9, 1]) }),
    outputs: ['out'],
    exec: (b, t) => b.gatherColumns(t.x, t.idx, t.out),
    reference: (i) => ({ out: ref.refGather(m(i.x), i.idx.data) }),
  }),
  defineCase({
    name: 'gatherColumns (64, 2) indices rank 1',
    op: 'gatherColumns',
    tolerance: EXACT,
    inputs: (rng) => ({ x: uniformInput(rng, [64, 2]), idx: { shape: [64] as Shape, data: integerInput(rng, 64, 2).data }, out: uniformInput(rng, [64]) }),
    outputs: ['out'],
    exec: (b, t) => b.gatherColumns(t.x, t.idx, t.out),
    reference: (i) => ({ out: ref.refGather(m(i.x), i.idx.data) }),
  }),
  defineCase({
    name: 'scatterColumns (9, 4)',
    op: 'scatterColumns',
    tolerance: EXACT,
    inputs: (rng) => ({ values: uniformInput(rng, [9, 1]), idx: integerInput(rng, 9, 4), out: uniformInput(rng, [9, 4]) }),
    outputs: ['out'],
    exec: (b, t) => b.scatterColumns(t.values, t.idx, t.out),
    reference: (i) => ({ out: ref.refScatter(i.values.data, i.idx.data, 9, 4) }),
  }),
  defineCase({
    name: 'rowMax (17, 5)',
    op: 'rowMax',
    tolerance: EXACT,
    inputs: (rng) => ({ x: uniformInput(rng, [17, 5], -100, 100), out: uniformInput(rng, [17, 1]) }),
    outputs: ['out'],
    exec: (b, t) => b.rowMax(t.x, t.out),
    reference: (i) => ({ out: ref.refRowMax(m(i.x)) }),
  }),
  defineCase({
    name: 'rowMax all negative and single column',
    op: 'rowMax',
    tolerance: EXACT,
    inputs: () => ({ x: constInput([3, 1], [-5, -1e30, 0]), out: constInput([3, 1], [9, 9, 9]) }),
    outputs: ['out'],
    exec: (b, t) => b.rowMax(t.x, t.out),
    reference: (i) => ({ out: ref.refRowMax(m(i.x)) }),
  }),
  defineCase({
    name: 'rowArgmax (17, 5)',
    op: 'rowArgmax',
    tolerance: EXACT,
    inputs: (rng) => ({ x: uniformInput(rng, [17, 5]), out: uniformInput(rng, [17, 1]) }),
    outputs: ['out'],
    exec: (b, t) => b.rowArgmax(t.x, t.out),
    reference: (i) => ({ out: ref.refRowArgmax(m(i.x)) }),
  }),
  defineCase({
    name: 'rowArgmax ties give the first maximum',
    op: 'rowArgmax',
    tolerance: EXACT,
    inputs: () => ({
      // rows: tie in the middle, all equal, tie at the ends, negative ties, tie after a larger value
      x: constInput([5, 4], [1, 3, 3, 2, 7, 7, 7, 7, 5, 1, 2, 5, -2, -1, -1, -3, 0, 9, 1, 9]),
      out: constInput([5, 1], [9, 9, 9, 9, 9]),
    }),
    outputs: ['out'],
    exec: (b, t) => b.rowArgmax(t.x, t.out),
    reference: () => ({ out: Float64Array.from([1, 0, 0, 1, 1]) }),
  }),
  defineCase({
    name: 'duelingCombine (8, 3)',
    op: 'duelingCombine',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ value: uniformInput(rng, [8, 1], -5, 5), adv: uniformInput(rng, [8, 3]), q: uniformInput(rng, [8, 3]) }),
    outputs: ['q'],
    exec: (b, t) => b.duelingCombine(t.value, t.adv, t.q),
    reference: (i) => ({ q: ref.refDuelingCombine(i.value.data, m(i.adv)) }),
  }),
  defineCase({
    name: 'duelingBackward (8, 3)',
    op: 'duelingBackward',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ gq: uniformInput(rng, [8, 3]), gv: uniformInput(rng, [8, 1]), ga: uniformInput(rng, [8, 3]) }),
    outputs: ['gv', 'ga'],
    exec: (b, t) => b.duelingBackward(t.gq, t.gv, t.ga),
    reference: (i) => {
      const r = ref.refDuelingBackward(m(i.gq));
      return { gv: r.gradValue, ga: r.gradAdvantage };
    },
  }),
  defineCase({
    name: 'duelingBackward in place (5, 4)',
    op: 'duelingBackward',
    tolerance: FEW_OPS,
    inputs: (rng) => ({ gq: uniformInput(rng, [5, 4]), gv: uniformInput(rng, [5, 1]) }),
    outputs: ['gv', 'gq'],
    exec: (b, t) => b.duelingBackward(t.gq, t.gv, t.gq),
    reference: (i) => {
      const r = ref.refDuelingBackward(m(i.gq));
      return { gv: r.gradValue, gq: r.gradAdvantage };
    },
  }),
);

// ------------------------------------------------------------------ losses

interface LossCaseSpec {
  name: string;
  kind: 'mse' | 'huber' | 'softmax_cross_entropy' | 'cross_entropy';
  shape: [number, number];
  pred: (rng: Rng, rows: number, cols: number) => Float64Array;
  target: (rng: Rng, rows: number, cols: number) => Float64Array;
  options?: { delta?: number; eps?: number };
  withGrad?: boolean;
}

function oneHot(rng: Rng, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) out[r * cols + rng.integers(cols)] = 1;
  return out;
}

function softTargets(rng: Rng, rows: number, cols: number): Float64Array {
  const out = f32Uniform(rng, rows * cols, 0.01, 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += out[r * cols + c];
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.fround(out[r * cols + c] / s);
  }
  return out;
}

function probabilities(rng: Rng, rows: number, cols: number): Float64Array {
  return softTargets(rng, rows, cols);
}

const LOSS_CASES: LossCaseSpec[] = [
  { name: 'mse (16, 3)', kind: 'mse', shape: [16, 3], pred: (r, a, b) => f32Uniform(r, a * b, -2, 2), target: (r, a, b) => f32Uniform(r, a * b, -2, 2) },
  { name: 'mse (64, 1) value only', kind: 'mse', shape: [64, 1], pred: (r, a, b) => f32Uniform(r, a * b), target: (r, a, b) => f32Uniform(r, a * b), withGrad: false },
  {
    name: 'huber delta 1 both sides (32, 2)',
    kind: 'huber',
    shape: [32, 2],
    pred: (r, a, b) => f32Uniform(r, a * b, -3, 3),
    target: (r, a, b) => f32Uniform(r, a * b, -3, 3),
  },
  {
    name: 'huber delta 0.5 exact edges (1, 6)',
    kind: 'huber',
    shape: [1, 6],
    // differences -2, -0.5, -0.25, 0, 0.5 (= delta: quadratic side), 3
    pred: () => Float64Array.from([-2, -0.5, -0.25, 0, 0.5, 3]),
    target: () => new Float64Array(6),
    options: { delta: 0.5 },
  },
  { name: 'huber delta 2 (10, 3) value only', kind: 'huber', shape: [10, 3], pred: (r, a, b) => f32Uniform(r, a * b, -5, 5), target: (r, a, b) => f32Uniform(r, a * b), options: { delta: 2 }, withGrad: false },
  { name: 'softmax_cross_entropy one-hot (12, 4)', kind: 'softmax_cross_entropy', shape: [12, 4], pred: (r, a, b) => f32Uniform(r, a * b, -3, 3), target: oneHot },
  { name: 'softmax_cross_entropy soft targets (5, 6)', kind: 'softmax_cross_entropy', shape: [5, 6], pred: (r, a, b) => f32Uniform(r, a * b, -3, 3), target: softTargets },
  {
    name: 'softmax_cross_entropy large logits (3, 3)',
    kind: 'softmax_cross_entropy',
    shape: [3, 3],
    pred: () => Float64Array.from([1000, 0, -1000, 500, 501, 502, -800, -801, -799]),
    target: () => Float64Array.from([0, 1, 0, 1, 0, 0, 0.25, 0.25, 0.5]),
  },
  { name: 'softmax_cross_entropy (7, 3) value only', kind: 'softmax_cross_entropy', shape: [7, 3], pred: (r, a, b) => f32Uniform(r, a * b), target: oneHot, withGrad: false },
  { name: 'cross_entropy probabilities (10, 4)', kind: 'cross_entropy', shape: [10, 4], pred: probabilities, target: oneHot },
  {
    name: 'cross_entropy with zero probabilities (2, 3) eps 1e-4',
    kind: 'cross_entropy',
    shape: [2, 3],
    pred: () => Float64Array.from([0, 0.5, 0.5, 0.2, 0.00001, 0.79999]),
    target: () => Float64Array.from([1, 0, 0, 0, 0.5, 0.5]),
    options: { eps: 1e-4 },
  },
];

for (const spec of LOSS_CASES) {
  const [rows, cols] = spec.shape;
  const withGrad = spec.withGrad !== false;
  cases.push(
    defineCase({
      name: `loss ${spec.name}`,
      op: 'loss',
      tolerance: LOSS,
      inputs: (rng) => {
        const predData = spec.pred(rng, rows, cols);
        return {
          pred: constInput([rows, cols], predData),
          target: constInput([rows, cols], spec.target(rng, rows, cols)),
          loss: scalar(123),
          grad: uniformInput(rng, [rows, cols]),
        };
      },
      outputs: ['loss', 'grad'],
      exec: (b, t) => b.loss(spec.kind, t.pred, t.target, t.loss, withGrad ? t.grad : null, spec.options),
      reference: (i) => {
        const r = ref.refLoss(spec.kind, m(i.pred), m(i.target), spec.options?.delta, spec.options?.eps);
        // Without a gradient tensor, `grad` must be left as it was.
        return { loss: Float64Array.of(r.loss), grad: withGrad ? r.grad : i.grad.data };
      },
    }),
  );
}

// ------------------------------------------------------------------ sumSquares and clipping

cases.push(
  defineCase({
    name: 'sumSquares (40, 7)',
    op: 'sumSquares',
    tolerance: sumTolerance(280),
    inputs: (rng) => ({ x: uniformInput(rng, [40, 7]), out: scalar(5) }),
    outputs: ['out'],
    exec: (b, t) => b.sumSquares(t.x, t.out),
    reference: (i) => ({ out: Float64Array.of(ref.refSumSquares(i.x.data)) }),
  }),
  defineCase({
    name: 'sumSquares accumulate (3,)',
    op: 'sumSquares',
    tolerance: sumTolerance(4, 4),
    inputs: (rng) => ({ x: uniformInput(rng, [3]), out: scalar(2.5) }),
    outputs: ['out'],
    exec: (b, t) => b.sumSquares(t.x, t.out, { accumulate: true }),
    reference: (i) => ({ out: Float64Array.of(ref.refSumSquares(i.x.data, 2.5)) }),
  }),
);
for (const maxNorm of [0.5, 100]) {
  cases.push(
    defineCase({
      name: `clipByGlobalNorm maxNorm ${maxNorm} (6, 5)`,
      op: 'clipByGlobalNorm',
      tolerance: FEW_OPS,
      inputs: (rng) => ({ x: uniformInput(rng, [6, 5], -2, 2), ss: scalar(Math.fround(17.3)) }),
      outputs: ['x', 'ss'],
      exec: (b, t) => b.clipByGlobalNorm(t.x, t.ss, maxNorm),
      reference: (i) => ({ x: ref.refClip(i.x.data, i.ss.data[0], maxNorm), ss: i.ss.data }),
    }),
  );
}

// ------------------------------------------------------------------ optimisers

const ADAM_CASES = [
  { name: 'step 1 no decay', step: 1, weightDecay: 0, decoupled: false, fresh: true },
  { name: 'step 7 L2 decay', step: 7, weightDecay: 0.01, decoupled: false, fresh: false },
  { name: 'step 3 decoupled decay (AdamW)', step: 3, weightDecay: 0.1, decoupled: true, fresh: false },
  { name: 'step 1000 no decay', step: 1000, weightDecay: 0, decoupled: false, fresh: false },
];
for (const c of ADAM_CASES) {
  const hp = ref.adamHyperParameters(c.step, { weightDecay: c.weightDecay, decoupledWeightDecay: c.decoupled });
  cases.push(
    defineCase({
      name: `adam ${c.name} (5, 4)`,
      op: 'adam',
      tolerance: ADAM,
      inputs: (rng) => ({
        p: uniformInput(rng, [5, 4]),
        g: uniformInput(rng, [5, 4], -0.5, 0.5),
        mom: c.fresh ? constInput([5, 4], new Array(20).fill(0)) : uniformInput(rng, [5, 4], -0.1, 0.1),
        vel: c.fresh ? constInput([5, 4], new Array(20).fill(0)) : uniformInput(rng, [5, 4], 0, 0.01),
      }),
      outputs: ['p', 'mom', 'vel'],
      exec: (b, t) => b.adam(t.p, t.g, t.mom, t.vel, hp),
      reference: (i) => {
        const r = ref.refAdam(i.p.data, i.g.data, i.mom.data, i.vel.data, hp);
        return { p: r.param, mom: r.m, vel: r.v };
      },
    }),
  );
}

const ADAM_FUSIONS = [
  { name: 'clipped (norm above max)', clip: 0.5, polyak: null },
  { name: 'clip a no-op (norm below max)', clip: 100, polyak: null },
  { name: 'with a Polyak target', clip: null, polyak: 0.05 },
  { name: 'clipped, with a Polyak target', clip: 0.5, polyak: 0.01 },
] as const;
// (70, 3): 210 elements, the scalar kernel; (48, 4): 192, read as vec4s on WebGPU.
for (const f of ADAM_FUSIONS) {
  for (const [rows, cols] of [
    [70, 3],
    [48, 4],
  ] as const) {
    const hp = ref.adamHyperParameters(3);
    cases.push(
      defineCase({
        name: `adam fused: ${f.name} (${rows}, ${cols})`,
        op: 'adam',
        tolerance: ADAM,
        inputs: (rng) => {
          const g = uniformInput(rng, [rows, cols], -0.5, 0.5);
          return {
            p: uniformInput(rng, [rows, cols]),
            g,
            mom: uniformInput(rng, [rows, cols], -0.1, 0.1),
            vel: uniformInput(rng, [rows, cols], 0, 0.01),
            sumSquares: scalar(ref.refSumSquares(g.data)),
            target: uniformInput(rng, [rows, cols]),
          };
        },
        outputs: ['p', 'g', 'mom', 'vel', 'target'],
        exec: (b, t) =>
          b.adam(t.p, t.g, t.mom, t.vel, hp, {
            clip: f.clip === null ? null : { sumSquares: t.sumSquares, maxNorm: f.clip },
            polyak: f.polyak === null ? null : { target: t.target, tau: f.polyak },
          }),
        reference: (i) => {
          const g = f.clip === null ? i.g.data : ref.refClip(i.g.data, i.sumSquares.data[0], f.clip);
          const r = ref.refAdam(i.p.data, g, i.mom.data, i.vel.data, hp);
          const target = f.polyak === null ? i.target.data : i.target.data.map((t, k) => t + (f.polyak as number) * (r.param[k] - t));
          return { p: r.param, g, mom: r.m, vel: r.v, target };
        },
      }),
    );
  }
}

// A clipped step as DqnAgent records it: the sum of squares of the gradient, then Adam clipping by
// it (the WebGPU backend on a CPU-emulated adapter runs both in one kernel: see webgpu-ops.ts).
for (const maxNorm of [0.5, 100]) {
  const hp = ref.adamHyperParameters(2);
  cases.push(
    defineCase({
      name: `adam after sumSquares of its gradient, maxNorm ${maxNorm}, with a Polyak target (48, 4)`,
      op: 'adam',
      tolerance: ADAM,
      inputs: (rng) => ({
        p: uniformInput(rng, [48, 4]),
        g: uniformInput(rng, [48, 4], -0.5, 0.5),
        mom: uniformInput(rng, [48, 4], -0.1, 0.1),
        vel: uniformInput(rng, [48, 4], 0, 0.01),
        sumSquares: scalar(7),
        target: uniformInput(rng, [48, 4]),
      }),
      outputs: ['p', 'g', 'mom', 'vel', 'target', 'sumSquares'],
      exec: (b, t) => {
        b.sumSquares(t.g, t.sumSquares);
        b.adam(t.p, t.g, t.mom, t.vel, hp, { clip: { sumSquares: t.sumSquares, maxNorm }, polyak: { target: t.target, tau: 0.02 } });
      },
      reference: (i) => {
        const squares = ref.refSumSquares(i.g.data);
        const g = ref.refClip(i.g.data, squares, maxNorm);
        const r = ref.refAdam(i.p.data, g, i.mom.data, i.vel.data, hp);
        const target = i.target.data.map((t, k) => t + 0.02 * (r.param[k] - t));
        return { p: r.param, g, mom: r.m, vel: r.v, target, sumSquares: Float64Array.of(squares) };
      },
    }),
  );
}

// RAdam at every step t = 1..8: with beta2 = 0.999, rho_t <= 5 (momentum only) up to t = 5 and
// rectified from t = 6. (5, 4): 20 elements, read as vec4s on WebGPU; (7, 3): 21, the scalar kernel.
// Tolerance ADAM: the same float32 operations as Adam's step (the rectification is a float64 host
// scalar rounded once into the step size), and before it fewer (no sqrt, no division).
for (let step = 1; step <= 8; step++) {
  for (const [rows, cols] of [
    [5, 4],
    [7, 3],
  ] as const) {
    const size = rows * cols;
    // Decay on some steps, L2 and decoupled, on either side of the rectification.
    const weightDecay = step % 3 === 0 ? 0.01 : 0;
    const hp = ref.adamHyperParameters(step, { weightDecay, decoupledWeightDecay: step === 6 });
    const decay = weightDecay === 0 ? '' : hp.decoupledWeightDecay ? ', decoupled decay' : ', L2 decay';
    cases.push(
      defineCase({
        name: `radam step ${step}${decay} (${rows}, ${cols})`,
        op: 'radam',
        tolerance: ADAM,
        inputs: (rng) => ({
          p: uniformInput(rng, [rows, cols]),
          g: uniformInput(rng, [rows, cols], -0.5, 0.5),
          mom: step === 1 ? constInput([rows, cols], new Array(size).fill(0)) : uniformInput(rng, [rows, cols], -0.1, 0.1),
          vel: step === 1 ? constInput([rows, cols], new Array(size).fill(0)) : uniformInput(rng, [rows, cols], 0, 0.01),
        }),
        outputs: ['p', 'mom', 'vel'],
        exec: (b, t) => b.radam(t.p, t.g, t.mom, t.vel, hp),
        reference: (i) => {
          const r = ref.refRAdam(i.p.data, i.g.data, i.mom.data, i.vel.data, hp);
          return { p: r.param, mom: r.m, vel: r.v };
        },
      }),
    );
  }
}

// RAdam fused as PQN records it (the sum of squares of the gradient, then the step clipping by it),
// with a Polyak target, before (t = 4) and after (t = 7) the rectification; (48, 4) takes adam_small
// on a CPU-emulated adapter, (70, 3) the scalar kernel after a separate sumSquares.
for (const step of [4, 7]) {
  for (const [rows, cols] of [
    [48, 4],
    [70, 3],
  ] as const) {
    const hp = ref.adamHyperParameters(step);
    cases.push(
      defineCase({
        name: `radam step ${step} after sumSquares of its gradient, maxNorm 0.5, with a Polyak target (${rows}, ${cols})`,
        op: 'radam',
        tolerance: ADAM,
        inputs: (rng) => ({
          p: uniformInput(rng, [rows, cols]),
          g: uniformInput(rng, [rows, cols], -0.5, 0.5),
          mom: uniformInput(rng, [rows, cols], -0.1, 0.1),
          vel: uniformInput(rng, [rows, cols], 0, 0.01),
          sumSquares: scalar(7),
          target: uniformInput(rng, [rows, cols]),
        }),
        outputs: ['p', 'g', 'mom', 'vel', 'target', 'sumSquares'],
        exec: (b, t) => {
          b.sumSquares(t.g, t.sumSquares);
          b.radam(t.p, t.g, t.mom, t.vel, hp, { clip: { sumSquares: t.sumSquares, maxNorm: 0.5 }, polyak: { target: t.target, tau: 0.02 } });
        },
        reference: (i) => {
          const squares = ref.refSumSquares(i.g.data);
          const g = ref.refClip(i.g.data, squares, 0.5);
          const r = ref.refRAdam(i.p.data, g, i.mom.data, i.vel.data, hp);
          const target = i.target.data.map((t, k) => t + 0.02 * (r.param[k] - t));
          return { p: r.param, g, mom: r.m, vel: r.v, target, sumSquares: Float64Array.of(squares) };
        },
      }),
    );
  }
}

const SGD_CASES = [
  { name: 'plain', momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, step: 1 },
  { name: 'momentum step 1 (buffer = gradient)', momentum: 0.9, dampening: 0.5, weightDecay: 0, nesterov: false, step: 1 },
  { name: 'momentum step 4 dampening 0.1 decay 0.01', momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, step: 4 },
  { name: 'nesterov step 2', momentum: 0.8, dampening: 0, weightDecay: 0, nesterov: true, step: 2 },
  { name: 'nesterov step 1 decay 0.1', momentum: 0.8, dampening: 0, weightDecay: 0.1, nesterov: true, step: 1 },
];
for (const c of SGD_CASES) {
  const hp = { lr: 0.05, momentum: c.momentum, dampening: c.dampening, weightDecay: c.weightDecay, nesterov: c.nesterov, step: c.step };
  cases.push(
    defineCase({
      name: `sgd ${c.name} (4, 3)`,
      op: 'sgd',
      tolerance: FEW_OPS,
      inputs: (rng) => ({ p: uniformInput(rng, [4, 3]), g: uniformInput(rng, [4, 3]), buf: uniformInput(rng, [4, 3]) }),
      outputs: ['p', 'buf'],
      exec: (b, t) => b.sgd(t.p, t.g, t.buf, hp),
      reference: (i) => {
        const r = ref.refSgd(i.p.data, i.g.data, i.buf.data, hp);
        return { p: r.param, buf: r.velocity };
      },
    }),
  );
}

/** Every conformance case. Each op of BACKEND_OPS has at least one. */
export const OP_CASES: OpCase[] = cases;

/** Ops of BACKEND_OPS with no case (should be empty). */
export function uncoveredOps(): BackendOp[] {
  return BACKEND_OPS.filter((op) => !OP_CASES.some((c) => c.op === op));
}

/**
 * Compares a case's outputs to its reference; returns null when every element is within
 * tolerance, else a message naming the output, the index and both values.
 */
export function compareOutputs(c: OpCase, got: Record<string, ArrayLike<number>>, expected: Record<string, Float64Array>): string | null {
  for (const [key, want] of Object.entries(expected)) {
    const have = got[key];
    if (have === undefined) return `${c.name}: output '${key}' missing`;
    const problem = mismatch(have, want, c.tolerance);
    if (problem !== null) return `${c.name}: output '${key}' ${problem}`;
  }
  return null;
}
