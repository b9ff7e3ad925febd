/**
 * Argument checks shared by every backend (BackendBase calls them). Each `validateX` throws a
 * ShapeError naming the op and the shapes involved (formatShape), or an InvalidArgumentError for a
 * disposed tensor, an aliasing that the op does not allow, or a bad scalar. Aliasing means sharing
 * elements (`overlaps`), so two views of one storage alias when their ranges intersect; an op that
 * may work in place accepts an output that is exactly its input's elements, never a partial overlap.
 * None of them allocates.
 */
import { ACTIVATIONS, DEVICE_ENVS, DEVICE_ENV_SPECS, LOSSES, TD_LOSSES, VIEW_ALIGNMENT, type Activation, type AdamFusion, type EnvStepOf, type EpsilonGreedyOf, type LayerNormArgs, type LayerNormBackwardArgs, type LossKind, type QLambdaReturnsOf, type Shape, type TdLossArgs, type Tensor } from './backend.js';
import { InvalidArgumentError, ShapeError, checkName, formatShape } from '../errors.js';
import { POLICY_HEADS, PPO_LOSS_STATS, type GaeOf, type PolicySampleOf, type PpoLossOf } from './policy-ops.js';
import { overlaps, sameElements, shapeSize } from './device-tensor.js';

/** `name (r, c)` for error messages, e.g. `a (32, 4)`. */
function describe(name: string, t: Tensor): string {
  return `${name} ${formatShape(t.shape)}`;
}

/** Throws if `t` (named `name` in op `op`) was disposed; null passes. Allocates nothing. */
export function checkAlive(op: string, name: string, t: Tensor | null): void {
  if (t !== null && t.disposed) throw new InvalidArgumentError(`${op}: ${name} ('${t.label}') was disposed`);
}

/** Checks a requested tensor shape: one or two positive integers. */
export function validateShape(shape: Shape): void {
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2) {
    throw new ShapeError(`tensor: shape must have 1 or 2 dimensions, got ${JSON.stringify(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new ShapeError(`tensor: dimensions must be positive integers, got ${formatShape(shape)}`);
    }
  }
}

/** Checks `data` passed to `tensor()`: its length must equal the size of the shape. */
export function validateTensorData(shape: Shape, data: ArrayLike<number> | undefined): void {
  validateShape(shape);
  if (data === undefined) return;
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new ShapeError(`tensor: data of length ${data.length} does not fit shape ${formatShape(shape)} (size ${size})`);
  }
}

/** `view(base, offset, shape)`: an aligned offset and a range inside base. */
export function validateView(base: Tensor, offset: number, shape: Shape): void {
  checkAlive('view', 'base', base);
  validateShape(shape);
  const size = shapeSize(shape);
  if (!Number.isInteger(offset) || offset < 0 || offset % VIEW_ALIGNMENT !== 0) {
    throw new InvalidArgumentError(`view: offset must be a non-negative multiple of ${VIEW_ALIGNMENT} elements, got ${offset}`);
  }
  if (offset + size > base.size) {
    throw new ShapeError(`view: ${formatShape(shape)} at offset ${offset} overflows ${describe('base', base)} of size ${base.size}`);
  }
}

/** `write(t, data, offset)`: the written range must lie inside t. */
export function validateWrite(t: Tensor, data: ArrayLike<number>, offset: number): void {
  checkAlive('write', 't', t);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(`write: offset must be a non-negative integer, got ${offset}`);
  }
  if (offset + data.length > t.size) {
    throw new ShapeError(`write: ${data.length} values at offset ${offset} overflow ${describe('t', t)} of size ${t.size}`);
  }
}

/** `read(t, dst)`: dst, when given, must hold at least t.size values. */
export function validateRead(t: Tensor, dst: ArrayLike<number> | undefined): void {
  checkAlive('read', 't', t);
  if (dst !== undefined && dst.length < t.size) {
    throw new ShapeError(`read: dst of length ${dst.length} is too short for ${describe('t', t)} of size ${t.size}`);
  }
}

function sameSize(op: string, aName: string, a: Tensor, bName: string, b: Tensor): void {
  if (a.size !== b.size) {
    throw new ShapeError(`${op}: ${describe(aName, a)} and ${describe(bName, b)} differ in size (${a.size} != ${b.size})`);
  }
}

function sameMatrix(op: string, aName: string, a: Tensor, bName: string, b: Tensor): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeError(`${op}: ${describe(aName, a)} and ${describe(bName, b)} must have the same shape`);
  }
}

function columnVector(op: string, name: string, t: Tensor, rows: number, ofName: string, of: Tensor): void {
  if (t.size !== rows) {
    throw new ShapeError(`${op}: ${describe(name, t)} must hold one value per row of ${describe(ofName, of)} (${rows})`);
  }
}

/** An output that may be its input (in place) but must not partially overlap it. */
function inPlaceOrDisjoint(op: string, outName: string, out: Tensor, inName: string, input: Tensor): void {
  if (overlaps(out, input) && !sameElements(out, input)) {
    throw new InvalidArgumentError(`${op}: ${outName} ('${out.label}') overlaps ${inName} ('${input.label}') without being the same elements`);
  }
}

/** Two tensors that must not share any element. */
function disjoint(op: string, aName: string, a: Tensor, bName: string, b: Tensor): void {
  if (overlaps(a, b)) throw new InvalidArgumentError(`${op}: ${aName} must not alias ${bName}`);
}

function scalarTensor(op: string, name: string, t: Tensor): void {
  if (t.size !== 1) throw new ShapeError(`${op}: ${describe(name, t)} must be (1, 1)`);
}

function finite(op: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`${op}: ${name} must be a finite number, got ${value}`);
}

export function validateFill(out: Tensor, value: number): void {
  checkAlive('fill', 'out', out);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new InvalidArgumentError(`fill: value must be a number, got ${value}`);
}

export function validateCopy(src: Tensor, dst: Tensor): void {
  checkAlive('copy', 'src', src);
  checkAlive('copy', 'dst', dst);
  sameSize('copy', 'src', src, 'dst', dst);
  inPlaceOrDisjoint('copy', 'dst', dst, 'src', src);
}

export function validateScale(x: Tensor, alpha: number, out: Tensor): void {
  checkAlive('scale', 'x', x);
  checkAlive('scale', 'out', out);
  finite('scale', 'alpha', alpha);
  sameSize('scale', 'x', x, 'out', out);
  inPlaceOrDisjoint('scale', 'out', out, 'x', x);
}

export function validateAddMul(a: Tensor, b: Tensor, c: Tensor, out: Tensor): void {
  checkAlive('addMul', 'a', a);
  checkAlive('addMul', 'b', b);
  checkAlive('addMul', 'c', c);
  checkAlive('addMul', 'out', out);
  sameSize('addMul', 'a', a, 'b', b);
  sameSize('addMul', 'a', a, 'c', c);
  sameSize('addMul', 'a', a, 'out', out);
  inPlaceOrDisjoint('addMul', 'out', out, 'a', a);
  inPlaceOrDisjoint('addMul', 'out', out, 'b', b);
  inPlaceOrDisjoint('addMul', 'out', out, 'c', c);
}

export function validateLerp(dst: Tensor, src: Tensor, t: number): void {
  checkAlive('lerp', 'dst', dst);
  checkAlive('lerp', 'src', src);
  finite('lerp', 't', t);
  sameSize('lerp', 'dst', dst, 'src', src);
  inPlaceOrDisjoint('lerp', 'dst', dst, 'src', src);
}

/** Matmul dimensions after the transposes: op(a) (m, k), op(b) (k, n). */
export interface MatmulDims {
  m: number;
  k: number;
  n: number;
}

/**
 * The (m, k, n) of a matmul after the transposes; throws unless op(a) and op(b) chain and out is
 * (m, n). Pass `dims` to receive the result without an allocation (it is returned).
 */
export function validateMatmul(
  a: Tensor,
  b: Tensor,
  out: Tensor,
  options?: { transA?: boolean; transB?: boolean },
  dims?: MatmulDims,
): MatmulDims {
  checkAlive('matmul', 'a', a);
  checkAlive('matmul', 'b', b);
  checkAlive('matmul', 'out', out);
  const transA = options?.transA === true;
  const transB = options?.transB === true;
  const m = transA ? a.cols : a.rows;
  const ka = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  const aName = transA ? 'a^T of' : 'a';
  const bName = transB ? 'b^T of' : 'b';
  if (ka !== kb) {
    throw new ShapeError(`matmul: ${describe(aName, a)} and ${describe(bName, b)} do not chain (k ${ka} != ${kb})`);
  }
  if (out.rows !== m || out.cols !== n) {
    throw new ShapeError(`matmul: out ${formatShape(out.shape)} must be (${m}, ${n}) for ${describe(aName, a)} and ${describe(bName, b)}`);
  }
  if (overlaps(out, a) || overlaps(out, b)) throw new InvalidArgumentError('matmul: out must not alias a or b');
  if (dims === undefined) return { m, k: ka, n };
  dims.m = m;
  dims.k = ka;
  dims.n = n;
  return dims;
}

export function validateColumnSum(x: Tensor, out: Tensor): void {
  checkAlive('columnSum', 'x', x);
  checkAlive('columnSum', 'out', out);
  if (out.size !== x.cols) {
    throw new ShapeError(`columnSum: out ${formatShape(out.shape)} must be (1, ${x.cols}) for ${describe('x', x)}`);
  }
  disjoint('columnSum', 'out', out, 'x', x);
}

/** Checks the activation name (UnknownNameError listing the valid ones) and returns it narrowed. */
export function validateActivationName(activation: string): Activation {
  return checkName('activation', activation, ACTIVATIONS);
}

/** Checks the loss name (UnknownNameError listing the valid ones) and returns it narrowed. */
export function validateLossName(kind: string): LossKind {
  return checkName('loss', kind, LOSSES);
}

export function validateBiasActivation(x: Tensor, bias: Tensor | null, activation: string, out: Tensor, alpha: number): void {
  checkAlive('biasActivation', 'x', x);
  checkAlive('biasActivation', 'bias', bias);
  checkAlive('biasActivation', 'out', out);
  validateActivationName(activation);
  finite('biasActivation', 'alpha', alpha);
  sameMatrix('biasActivation', 'x', x, 'out', out);
  inPlaceOrDisjoint('biasActivation', 'out', out, 'x', x);
  if (bias !== null) {
    if (bias.size !== x.cols) {
      throw new ShapeError(`biasActivation: bias ${formatShape(bias.shape)} must be (1, ${x.cols}) for ${describe('x', x)}`);
    }
    disjoint('biasActivation', 'out', out, 'bias', bias);
  }
}

export function validateActivationBackward(activation: string, y: Tensor, gradOut: Tensor, gradIn: Tensor, alpha: number): void {
  checkAlive('activationBackward', 'y', y);
  checkAlive('activationBackward', 'gradOut', gradOut);
  checkAlive('activationBackward', 'gradIn', gradIn);
  validateActivationName(activation);
  finite('activationBackward', 'alpha', alpha);
  sameMatrix('activationBackward', 'y', y, 'gradOut', gradOut);
  sameMatrix('activationBackward', 'y', y, 'gradIn', gradIn);
  inPlaceOrDisjoint('activationBackward', 'gradIn', gradIn, 'gradOut', gradOut);
  if (activation !== 'identity') disjoint('activationBackward', 'gradIn', gradIn, 'y', y);
}

export function validateGatherColumns(x: Tensor, indices: Tensor, out: Tensor): void {
  checkAlive('gatherColumns', 'x', x);
  checkAlive('gatherColumns', 'indices', indices);
  checkAlive('gatherColumns', 'out', out);
  columnVector('gatherColumns', 'indices', indices, x.rows, 'x', x);
  columnVector('gatherColumns', 'out', out, x.rows, 'x', x);
  disjoint('gatherColumns', 'out', out, 'x', x);
  disjoint('gatherColumns', 'out', out, 'indices', indices);
}

export function validateGatherRows(x: Tensor, indices: Tensor, out: Tensor): void {
  const op = 'gatherRows';
  checkAlive(op, 'x', x);
  checkAlive(op, 'indices', indices);
  checkAlive(op, 'out', out);
  if (out.cols !== x.cols) throw new ShapeError(`${op}: ${describe('out', out)} must have the ${x.cols} columns of ${describe('x', x)}`);
  if (indices.size !== out.rows) throw new ShapeError(`${op}: ${describe('indices', indices)} must hold ${out.rows} values, one per row of ${describe('out', out)}`);
  disjoint(op, 'out', out, 'x', x);
  disjoint(op, 'out', out, 'indices', indices);
}

export function validateScatterColumns(values: Tensor, indices: Tensor, out: Tensor): void {
  checkAlive('scatterColumns', 'values', values);
  checkAlive('scatterColumns', 'indices', indices);
  checkAlive('scatterColumns', 'out', out);
  columnVector('scatterColumns', 'values', values, out.rows, 'out', out);
  columnVector('scatterColumns', 'indices', indices, out.rows, 'out', out);
  if (overlaps(out, values) || overlaps(out, indices)) throw new InvalidArgumentError('scatterColumns: out must not alias values or indices');
}

export function validateRowReduce(op: 'rowMax' | 'rowArgmax', x: Tensor, out: Tensor): void {
  checkAlive(op, 'x', x);
  checkAlive(op, 'out', out);
  columnVector(op, 'out', out, x.rows, 'x', x);
  disjoint(op, 'out', out, 'x', x);
}

export function validateDuelingCombine(value: Tensor, advantage: Tensor, q: Tensor): void {
  checkAlive('duelingCombine', 'value', value);
  checkAlive('duelingCombine', 'advantage', advantage);
  checkAlive('duelingCombine', 'q', q);
  columnVector('duelingCombine', 'value', value, advantage.rows, 'advantage', advantage);
  sameMatrix('duelingCombine', 'advantage', advantage, 'q', q);
  disjoint('duelingCombine', 'q', q, 'value', value);
  inPlaceOrDisjoint('duelingCombine', 'q', q, 'advantage', advantage);
}

export function validateDuelingBackward(gradQ: Tensor, gradValue: Tensor, gradAdvantage: Tensor): void {
  checkAlive('duelingBackward', 'gradQ', gradQ);
  checkAlive('duelingBackward', 'gradValue', gradValue);
  checkAlive('duelingBackward', 'gradAdvantage', gradAdvantage);
  columnVector('duelingBackward', 'gradValue', gradValue, gradQ.rows, 'gradQ', gradQ);
  sameMatrix('duelingBackward', 'gradQ', gradQ, 'gradAdvantage', gradAdvantage);
  if (overlaps(gradValue, gradQ) || overlaps(gradValue, gradAdvantage)) {
    throw new InvalidArgumentError('duelingBackward: gradValue must not alias gradQ or gradAdvantage');
  }
  inPlaceOrDisjoint('duelingBackward', 'gradAdvantage', gradAdvantage, 'gradQ', gradQ);
}

/** 'loss mse', 'loss huber', ...: op names built once, so validating a loss allocates nothing. */
const LOSS_OPS = Object.fromEntries(LOSSES.map((kind) => [kind, `loss ${kind}`])) as Record<LossKind, string>;

export function validateLoss(kind: string, pred: Tensor, target: Tensor, lossOut: Tensor, grad: Tensor | null, delta: number, eps: number): void {
  checkAlive('loss', 'pred', pred);
  checkAlive('loss', 'target', target);
  checkAlive('loss', 'lossOut', lossOut);
  checkAlive('loss', 'grad', grad);
  const op = LOSS_OPS[validateLossName(kind)];
  sameMatrix(op, 'pred', pred, 'target', target);
  scalarTensor(op, 'lossOut', lossOut);
  disjoint(op, 'lossOut', lossOut, 'pred', pred);
  disjoint(op, 'lossOut', lossOut, 'target', target);
  if (grad !== null) {
    sameMatrix(op, 'pred', pred, 'grad', grad);
    disjoint(op, 'grad', grad, 'target', target);
    disjoint(op, 'grad', grad, 'lossOut', lossOut);
    inPlaceOrDisjoint(op, 'grad', grad, 'pred', pred);
  }
  if (!(delta > 0) || !Number.isFinite(delta)) throw new InvalidArgumentError(`${op}: delta must be positive, got ${delta}`);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new InvalidArgumentError(`${op}: eps must be positive, got ${eps}`);
}

export function validateSumSquares(x: Tensor, out: Tensor): void {
  checkAlive('sumSquares', 'x', x);
  checkAlive('sumSquares', 'out', out);
  scalarTensor('sumSquares', 'out', out);
  if (overlaps(out, x) && !(x.size === 1 && sameElements(out, x))) throw new InvalidArgumentError('sumSquares: out must not alias x');
}

export function validateClipByGlobalNorm(x: Tensor, sumSquares: Tensor, maxNorm: number): void {
  checkAlive('clipByGlobalNorm', 'x', x);
  checkAlive('clipByGlobalNorm', 'sumSquares', sumSquares);
  scalarTensor('clipByGlobalNorm', 'sumSquares', sumSquares);
  disjoint('clipByGlobalNorm', 'x', x, 'sumSquares', sumSquares);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new InvalidArgumentError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
}

function positiveStep(op: string, step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new InvalidArgumentError(`${op}: step must be an integer >= 1, got ${step}`);
}

/** The ops that validateAdam and validateAdamFusion check (RAdam takes Adam's arguments). */
type AdamOp = 'adam' | 'radam';

export function validateAdam(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  hp: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number },
  op: AdamOp = 'adam',
): void {
  checkAlive(op, 'param', param);
  checkAlive(op, 'grad', grad);
  checkAlive(op, 'm', m);
  checkAlive(op, 'v', v);
  sameSize(op, 'param', param, 'grad', grad);
  sameSize(op, 'param', param, 'm', m);
  sameSize(op, 'param', param, 'v', v);
  disjoint(op, 'param', param, 'grad', grad);
  disjoint(op, 'param', param, 'm', m);
  disjoint(op, 'param', param, 'v', v);
  disjoint(op, 'grad', grad, 'm', m);
  disjoint(op, 'grad', grad, 'v', v);
  disjoint(op, 'm', m, 'v', v);
  positiveStep(op, hp.step);
  finite(op, 'lr', hp.lr);
  finite(op, 'weightDecay', hp.weightDecay);
  if (!(hp.beta1 >= 0 && hp.beta1 < 1)) throw new InvalidArgumentError(`${op}: beta1 must be in [0, 1), got ${hp.beta1}`);
  if (!(hp.beta2 >= 0 && hp.beta2 < 1)) throw new InvalidArgumentError(`${op}: beta2 must be in [0, 1), got ${hp.beta2}`);
  if (!(hp.eps >= 0) || !Number.isFinite(hp.eps)) throw new InvalidArgumentError(`${op}: eps must be >= 0, got ${hp.eps}`);
}

export function validateSgd(
  param: Tensor,
  grad: Tensor,
  velocity: Tensor,
  hp: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean; step: number },
): void {
  checkAlive('sgd', 'param', param);
  checkAlive('sgd', 'grad', grad);
  checkAlive('sgd', 'velocity', velocity);
  sameSize('sgd', 'param', param, 'grad', grad);
  sameSize('sgd', 'param', param, 'velocity', velocity);
  disjoint('sgd', 'param', param, 'grad', grad);
  disjoint('sgd', 'param', param, 'velocity', velocity);
  disjoint('sgd', 'grad', grad, 'velocity', velocity);
  positiveStep('sgd', hp.step);
  finite('sgd', 'lr', hp.lr);
  finite('sgd', 'momentum', hp.momentum);
  finite('sgd', 'dampening', hp.dampening);
  finite('sgd', 'weightDecay', hp.weightDecay);
  if (hp.nesterov && (hp.momentum <= 0 || hp.dampening !== 0)) {
    throw new InvalidArgumentError('sgd: Nesterov momentum requires momentum > 0 and dampening 0');
  }
}

// ---------------------------------------------------------------- fused ops

export function validateLinear(x: Tensor, w: Tensor, bias: Tensor | null, activation: string, out: Tensor, alpha: number): void {
  checkAlive('linear', 'x', x);
  checkAlive('linear', 'w', w);
  checkAlive('linear', 'bias', bias);
  checkAlive('linear', 'out', out);
  validateActivationName(activation);
  finite('linear', 'alpha', alpha);
  if (x.cols !== w.rows) throw new ShapeError(`linear: ${describe('x', x)} and ${describe('w', w)} do not chain (${x.cols} != ${w.rows})`);
  if (out.rows !== x.rows || out.cols !== w.cols) {
    throw new ShapeError(`linear: out ${formatShape(out.shape)} must be (${x.rows}, ${w.cols}) for ${describe('x', x)} and ${describe('w', w)}`);
  }
  disjoint('linear', 'out', out, 'x', x);
  disjoint('linear', 'out', out, 'w', w);
  if (bias !== null) {
    if (bias.size !== w.cols) throw new ShapeError(`linear: bias ${formatShape(bias.shape)} must be (1, ${w.cols}) for ${describe('w', w)}`);
    disjoint('linear', 'out', out, 'bias', bias);
  }
}

export function validateLinearGrad(x: Tensor, g: Tensor, dW: Tensor, db: Tensor | null): void {
  checkAlive('linearGrad', 'x', x);
  checkAlive('linearGrad', 'g', g);
  checkAlive('linearGrad', 'dW', dW);
  checkAlive('linearGrad', 'db', db);
  if (x.rows !== g.rows) throw new ShapeError(`linearGrad: ${describe('x', x)} and ${describe('g', g)} must have the same rows (batch)`);
  if (dW.rows !== x.cols || dW.cols !== g.cols) {
    throw new ShapeError(`linearGrad: dW ${formatShape(dW.shape)} must be (${x.cols}, ${g.cols}) for ${describe('x', x)} and ${describe('g', g)}`);
  }
  disjoint('linearGrad', 'dW', dW, 'x', x);
  disjoint('linearGrad', 'dW', dW, 'g', g);
  if (db !== null) {
    if (db.size !== g.cols) throw new ShapeError(`linearGrad: db ${formatShape(db.shape)} must be (1, ${g.cols}) for ${describe('g', g)}`);
    disjoint('linearGrad', 'db', db, 'x', x);
    disjoint('linearGrad', 'db', db, 'g', g);
    disjoint('linearGrad', 'db', db, 'dW', dW);
  }
}

export function validateLinearInputGrad(g: Tensor, w: Tensor, y: Tensor | null, activation: string, out: Tensor, alpha: number): void {
  checkAlive('linearInputGrad', 'g', g);
  checkAlive('linearInputGrad', 'w', w);
  checkAlive('linearInputGrad', 'y', y);
  checkAlive('linearInputGrad', 'out', out);
  const act = validateActivationName(activation);
  finite('linearInputGrad', 'alpha', alpha);
  if (act === 'softmax') throw new InvalidArgumentError('linearInputGrad: softmax is not elementwise; use matmul then activationBackward');
  if (g.cols !== w.cols) throw new ShapeError(`linearInputGrad: ${describe('g', g)} and ${describe('w', w)} must have the same columns`);
  if (out.rows !== g.rows || out.cols !== w.rows) {
    throw new ShapeError(`linearInputGrad: out ${formatShape(out.shape)} must be (${g.rows}, ${w.rows}) for ${describe('g', g)} and ${describe('w', w)}`);
  }
  disjoint('linearInputGrad', 'out', out, 'g', g);
  disjoint('linearInputGrad', 'out', out, 'w', w);
  if (y !== null) {
    sameMatrix('linearInputGrad', 'y', y, 'out', out);
    disjoint('linearInputGrad', 'out', out, 'y', y);
  }
}

/** An output of tdLoss shares no element with any input. */
function tdOutputDisjoint(name: string, out: Tensor, a: TdLossArgs): void {
  disjoint('tdLoss', name, out, 'q', a.q);
  disjoint('tdLoss', name, out, 'nextQ', a.nextQ);
  disjoint('tdLoss', name, out, 'actions', a.actions);
  disjoint('tdLoss', name, out, 'rewards', a.rewards);
  disjoint('tdLoss', name, out, 'terminated', a.terminated);
  if ((a.discounts ?? null) !== null) disjoint('tdLoss', name, out, 'discounts', a.discounts as Tensor);
}

/** The tensors of tdLoss, checked; returns the batch size B. */
export function validateTdLoss(a: TdLossArgs, delta: number, quantiles: number): number {
  const op = 'tdLoss';
  checkAlive(op, 'q', a.q);
  checkAlive(op, 'nextQ', a.nextQ);
  checkAlive(op, 'actions', a.actions);
  checkAlive(op, 'rewards', a.rewards);
  checkAlive(op, 'terminated', a.terminated);
  checkAlive(op, 'lossOut', a.lossOut);
  checkAlive(op, 'gradQ', a.gradQ);
  const targets = a.targets ?? null;
  checkAlive(op, 'targets', targets);
  const discounts = a.discounts ?? null;
  checkAlive(op, 'discounts', discounts);
  checkName('TD loss', a.loss, TD_LOSSES);
  if (!Number.isSafeInteger(quantiles) || quantiles < 1) throw new InvalidArgumentError(`${op}: quantiles must be a positive integer, got ${quantiles}`);
  if (quantiles > 1 && a.loss !== 'huber') throw new InvalidArgumentError(`${op}: quantiles ${quantiles} need the 'huber' loss (the quantile Huber loss), got '${a.loss}'`);
  const munchausen = a.munchausen ?? null;
  if (munchausen !== null) {
    if (a.double) throw new InvalidArgumentError(`${op}: Munchausen targets have no Double DQN form (their soft value of s' replaces the max); set double false`);
    if (quantiles > 1) throw new InvalidArgumentError(`${op}: Munchausen targets are for a plain DQN head, got quantiles ${quantiles}`);
    if (!(munchausen.alpha >= 0) || !Number.isFinite(munchausen.alpha)) throw new InvalidArgumentError(`${op}: munchausen.alpha must be >= 0, got ${munchausen.alpha}`);
    if (!(munchausen.tau > 0) || !Number.isFinite(munchausen.tau)) throw new InvalidArgumentError(`${op}: munchausen.tau must be positive, got ${munchausen.tau}`);
    if (!(munchausen.logPolicyFloor < 0)) throw new InvalidArgumentError(`${op}: munchausen.logPolicyFloor must be negative, got ${munchausen.logPolicyFloor}`);
    if (a.nextQ.rows % 2 !== 0) throw new ShapeError(`${op}: with Munchausen targets ${describe('nextQ', a.nextQ)} must hold Q_target(s) above Q_target(s'), an even number of rows`);
  }
  const batch = munchausen === null ? a.nextQ.rows : a.nextQ.rows / 2;
  const actions = a.nextQ.cols;
  if (actions % quantiles !== 0) throw new ShapeError(`${op}: ${describe('nextQ', a.nextQ)} must have a multiple of quantiles ${quantiles} columns (N per action)`);
  const qRows = a.double ? 2 * batch : batch;
  if (a.q.rows !== qRows || a.q.cols !== actions) {
    const why = a.double ? " (Double DQN: Q(s) then the online Q(s'))" : '';
    throw new ShapeError(`${op}: q ${formatShape(a.q.shape)} must be (${qRows}, ${actions}) for ${describe('nextQ', a.nextQ)}${why}`);
  }
  columnVector(op, 'actions', a.actions, batch, 'nextQ', a.nextQ);
  columnVector(op, 'rewards', a.rewards, batch, 'nextQ', a.nextQ);
  columnVector(op, 'terminated', a.terminated, batch, 'nextQ', a.nextQ);
  if (discounts !== null) columnVector(op, 'discounts', discounts, batch, 'nextQ', a.nextQ);
  scalarTensor(op, 'lossOut', a.lossOut);
  if (a.gradQ.rows !== batch || a.gradQ.cols !== actions) throw new ShapeError(`${op}: gradQ ${formatShape(a.gradQ.shape)} must be (${batch}, ${actions}), one row per transition`);
  if (targets !== null) columnVector(op, 'targets', targets, batch, 'nextQ', a.nextQ);
  if (!(a.gamma >= 0 && a.gamma <= 1)) throw new InvalidArgumentError(`${op}: gamma must be in [0, 1], got ${a.gamma}`);
  if (!(delta > 0) || !Number.isFinite(delta)) throw new InvalidArgumentError(`${op}: delta must be positive, got ${delta}`);
  tdOutputDisjoint('lossOut', a.lossOut, a);
  tdOutputDisjoint('gradQ', a.gradQ, a);
  disjoint(op, 'gradQ', a.gradQ, 'lossOut', a.lossOut);
  if (targets !== null) {
    tdOutputDisjoint('targets', targets, a);
    disjoint(op, 'targets', targets, 'lossOut', a.lossOut);
    disjoint(op, 'targets', targets, 'gradQ', a.gradQ);
  }
  return batch;
}

/** A discount or mixing factor in [0, 1]. */
function unitInterval(op: string, name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`${op}: ${name} must be in [0, 1], got ${value}`);
}

/** qLambdaReturns' tensors: rewards, flags and returns (T, N), nextQ (T N, A), returns disjoint from every input. */
export function validateQLambdaReturns(a: QLambdaReturnsOf<Tensor>): void {
  const op = 'qLambdaReturns';
  checkAlive(op, 'rewards', a.rewards);
  checkAlive(op, 'terminated', a.terminated);
  checkAlive(op, 'truncated', a.truncated);
  checkAlive(op, 'nextQ', a.nextQ);
  checkAlive(op, 'returns', a.returns);
  sameMatrix(op, 'terminated', a.terminated, 'rewards', a.rewards);
  sameMatrix(op, 'truncated', a.truncated, 'rewards', a.rewards);
  sameMatrix(op, 'returns', a.returns, 'rewards', a.rewards);
  if (a.nextQ.rows !== a.rewards.size) {
    throw new ShapeError(`${op}: ${describe('nextQ', a.nextQ)} must have one row per step and env of ${describe('rewards', a.rewards)} (${a.rewards.size} rows)`);
  }
  unitInterval(op, 'gamma', a.gamma);
  unitInterval(op, 'lambda', a.lambda);
  disjoint(op, 'returns', a.returns, 'rewards', a.rewards);
  disjoint(op, 'returns', a.returns, 'terminated', a.terminated);
  disjoint(op, 'returns', a.returns, 'truncated', a.truncated);
  disjoint(op, 'returns', a.returns, 'nextQ', a.nextQ);
}

/** What the shape of a tensor of ppoLoss follows from (its error message says it). */
type PpoShapeRule = 'row' | 'column' | 'out' | 'stats' | 'gaussian' | 'categorical';

/** A tensor of ppoLoss that must be exactly (rows, cols), by `rule` (the message is built only on failure: validation allocates nothing). */
function ppoShape(name: string, t: Tensor, rows: number, cols: number, rule: PpoShapeRule, out: Tensor): void {
  if (t.rows === rows && t.cols === cols) return;
  const o = describe('out', out);
  const why = {
    row: `one value per row of ${o}`,
    column: `one value per column of ${o}`,
    out: `the shape of ${o}`,
    stats: `one value per stat (${PPO_LOSS_STATS.join(', ')})`,
    gaussian: `an action vector per row of ${o} (gaussian head)`,
    categorical: `an action index per row of ${o} (categorical head)`,
  }[rule];
  throw new ShapeError(`ppoLoss: ${describe(name, t)} must be (${rows}, ${cols}), ${why}`);
}

/** A coefficient of ppoLoss: finite and >= 0 (or > 0 with `positive`). */
function ppoCoefficient(name: string, value: number, positive: boolean): void {
  if (!Number.isFinite(value) || (positive ? !(value > 0) : !(value >= 0))) {
    throw new InvalidArgumentError(`ppoLoss: ${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${value}`);
  }
}

/** An output of ppoLoss shares no element with any input. */
function ppoOutputDisjoint(name: string, out: Tensor, a: PpoLossOf<Tensor>): void {
  const op = 'ppoLoss';
  disjoint(op, name, out, 'out', a.out);
  if (a.logStd !== null) disjoint(op, name, out, 'logStd', a.logStd);
  disjoint(op, name, out, 'actions', a.actions);
  disjoint(op, name, out, 'oldLogProb', a.oldLogProb);
  disjoint(op, name, out, 'advantages', a.advantages);
  disjoint(op, name, out, 'values', a.values);
  disjoint(op, name, out, 'returns', a.returns);
  disjoint(op, name, out, 'oldValues', a.oldValues);
}

/**
 * ppoLoss's arguments (see PpoLossOf): out and gradOut (B, k); logStd and gradLogStd (1, k) for the
 * gaussian head and null for the categorical; actions (B, 1) or (B, k) by head; the other per-row
 * tensors (B, 1); stats (1, PPO_LOSS_STATS.length); B >= 2 to normalise the advantages; clipCoef
 * > 0 and the other coefficients >= 0, all finite; the outputs sharing no element with an input or
 * with each other.
 */
export function validatePpoLoss(a: PpoLossOf<Tensor>): void {
  const op = 'ppoLoss';
  const head = checkName('policy head', a.head, POLICY_HEADS);
  checkAlive(op, 'out', a.out);
  checkAlive(op, 'logStd', a.logStd);
  checkAlive(op, 'actions', a.actions);
  checkAlive(op, 'oldLogProb', a.oldLogProb);
  checkAlive(op, 'advantages', a.advantages);
  checkAlive(op, 'values', a.values);
  checkAlive(op, 'returns', a.returns);
  checkAlive(op, 'oldValues', a.oldValues);
  checkAlive(op, 'gradOut', a.gradOut);
  checkAlive(op, 'gradLogStd', a.gradLogStd);
  checkAlive(op, 'gradValues', a.gradValues);
  checkAlive(op, 'stats', a.stats);
  const batch = a.out.rows;
  const k = a.out.cols;
  if (head === 'gaussian') {
    if (a.logStd === null) throw new InvalidArgumentError(`${op}: logStd must be a (1, ${k}) tensor for the gaussian head, got null`);
    if (a.gradLogStd === null) throw new InvalidArgumentError(`${op}: gradLogStd must be a (1, ${k}) tensor for the gaussian head, got null`);
    ppoShape('logStd', a.logStd, 1, k, 'column', a.out);
    ppoShape('gradLogStd', a.gradLogStd, 1, k, 'column', a.out);
    ppoShape('actions', a.actions, batch, k, 'gaussian', a.out);
  } else {
    if (a.logStd !== null) throw new InvalidArgumentError(`${op}: logStd must be null for the categorical head, got ${describe('a tensor', a.logStd)}`);
    if (a.gradLogStd !== null) throw new InvalidArgumentError(`${op}: gradLogStd must be null for the categorical head, got ${describe('a tensor', a.gradLogStd)}`);
    ppoShape('actions', a.actions, batch, 1, 'categorical', a.out);
  }
  ppoShape('oldLogProb', a.oldLogProb, batch, 1, 'row', a.out);
  ppoShape('advantages', a.advantages, batch, 1, 'row', a.out);
  ppoShape('values', a.values, batch, 1, 'row', a.out);
  ppoShape('returns', a.returns, batch, 1, 'row', a.out);
  ppoShape('oldValues', a.oldValues, batch, 1, 'row', a.out);
  ppoShape('gradOut', a.gradOut, batch, k, 'out', a.out);
  ppoShape('gradValues', a.gradValues, batch, 1, 'row', a.out);
  ppoShape('stats', a.stats, 1, PPO_LOSS_STATS.length, 'stats', a.out);
  if (a.normalizeAdvantages && batch < 2) {
    throw new InvalidArgumentError(`${op}: normalizeAdvantages needs at least 2 rows (the std has B - 1 in its denominator), got ${describe('out', a.out)}`);
  }
  ppoCoefficient('clipCoef', a.clipCoef, true);
  ppoCoefficient('entCoef', a.entCoef, false);
  ppoCoefficient('valueClip', a.valueClip, false);
  ppoCoefficient('vfCoef', a.vfCoef, false);
  ppoOutputDisjoint('gradOut', a.gradOut, a);
  ppoOutputDisjoint('gradValues', a.gradValues, a);
  ppoOutputDisjoint('stats', a.stats, a);
  disjoint(op, 'gradValues', a.gradValues, 'gradOut', a.gradOut);
  disjoint(op, 'stats', a.stats, 'gradOut', a.gradOut);
  disjoint(op, 'stats', a.stats, 'gradValues', a.gradValues);
  if (a.gradLogStd !== null) {
    ppoOutputDisjoint('gradLogStd', a.gradLogStd, a);
    disjoint(op, 'gradLogStd', a.gradLogStd, 'gradOut', a.gradOut);
    disjoint(op, 'gradLogStd', a.gradLogStd, 'gradValues', a.gradValues);
    disjoint(op, 'gradLogStd', a.gradLogStd, 'stats', a.stats);
  }
}

/**
 * envStep's tensors: state (S, N) for the env's S rows, N actions, obs and finalObs (N, obsDim),
 * N rewards and flags (any shape of that size), episodes (2, N); a known env and a safe
 * non-negative integer seed. Every tensor written (state included) shares no element with any other.
 */
export function validateEnvStep(a: EnvStepOf<Tensor>): void {
  const op = 'envStep';
  if (!(DEVICE_ENVS as readonly string[]).includes(a.env)) {
    throw new InvalidArgumentError(`${op}: env must be one of ${DEVICE_ENVS.join(', ')}, got ${JSON.stringify(a.env)}`);
  }
  if (!Number.isSafeInteger(a.seed) || a.seed < 0) throw new InvalidArgumentError(`${op}: seed must be a non-negative safe integer, got ${a.seed}`);
  const tensors = envStepTensors;
  for (let i = 0; i < ENV_STEP_TENSORS.length; i++) {
    tensors[i] = a[ENV_STEP_TENSORS[i]];
    checkAlive(op, ENV_STEP_TENSORS[i], tensors[i]);
  }
  const spec = DEVICE_ENV_SPECS[a.env];
  const n = a.state.cols;
  if (a.state.rows !== spec.stateRows) {
    throw new ShapeError(`${op}: ${describe('state', a.state)} must have ${spec.stateRows} rows for ${a.env} (one column per env)`);
  }
  envStepObs(op, 'obs', a.obs, n, spec.obsDim, a.state);
  envStepObs(op, 'finalObs', a.finalObs, n, spec.obsDim, a.state);
  envStepVector(op, 'actions', a.actions, n, a.state);
  envStepVector(op, 'rewards', a.rewards, n, a.state);
  envStepVector(op, 'terminated', a.terminated, n, a.state);
  envStepVector(op, 'truncated', a.truncated, n, a.state);
  if (a.episodes.rows !== 2 || a.episodes.cols !== n) throw new ShapeError(`${op}: ${describe('episodes', a.episodes)} must be (2, ${n})`);
  for (let i = 0; i < tensors.length; i++) {
    for (let j = i + 1; j < tensors.length; j++) disjoint(op, ENV_STEP_TENSORS[i], tensors[i], ENV_STEP_TENSORS[j], tensors[j]);
  }
  tensors.fill(a.state); // drop the references
}

/**
 * epsilonGreedy's arguments: q (N, A) with A >= 1, N actions sharing no element with q, epsilon in
 * [0, 1], a safe non-negative integer seed and an integer counter in [0, 2^32).
 */
export function validateEpsilonGreedy(a: EpsilonGreedyOf<Tensor>): void {
  const op = 'epsilonGreedy';
  checkAlive(op, 'q', a.q);
  checkAlive(op, 'actions', a.actions);
  if (a.q.cols < 1) throw new ShapeError(`${op}: ${describe('q', a.q)} must have at least one column (an action)`);
  if (a.actions.size !== a.q.rows) throw new ShapeError(`${op}: ${describe('actions', a.actions)} must hold ${a.q.rows} values, one per row of ${describe('q', a.q)}`);
  disjoint(op, 'actions', a.actions, 'q', a.q);
  if (!(a.epsilon >= 0 && a.epsilon <= 1)) throw new InvalidArgumentError(`${op}: epsilon must be in [0, 1], got ${a.epsilon}`);
  seedAndCounter(op, a.seed, a.counter);
}

/** A device draw's seed (a safe non-negative integer, Philox's key) and counter (an integer in [0, 2^32)). */
function seedAndCounter(op: string, seed: number, counter: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError(`${op}: seed must be a non-negative safe integer, got ${seed}`);
  if (!Number.isInteger(counter) || counter < 0 || counter >= 2 ** 32) throw new InvalidArgumentError(`${op}: counter must be an integer in [0, 2^32), got ${counter}`);
}

/** gaeAdvantages' inputs besides rewards, each (T, N) as rewards (indexed loops: validation allocates nothing). */
const GAE_INPUTS = ['values', 'nextValues', 'terminated', 'truncated'] as const;

/**
 * gaeAdvantages' tensors: every one (T, N) as rewards; advantages and returns share no element with
 * an input or with each other; gamma and lambda in [0, 1].
 */
export function validateGae(a: GaeOf<Tensor>): void {
  const op = 'gaeAdvantages';
  checkAlive(op, 'rewards', a.rewards);
  for (let i = 0; i < GAE_INPUTS.length; i++) checkAlive(op, GAE_INPUTS[i], a[GAE_INPUTS[i]]);
  checkAlive(op, 'advantages', a.advantages);
  checkAlive(op, 'returns', a.returns);
  for (let i = 0; i < GAE_INPUTS.length; i++) sameMatrix(op, GAE_INPUTS[i], a[GAE_INPUTS[i]], 'rewards', a.rewards);
  sameMatrix(op, 'advantages', a.advantages, 'rewards', a.rewards);
  sameMatrix(op, 'returns', a.returns, 'rewards', a.rewards);
  unitInterval(op, 'gamma', a.gamma);
  unitInterval(op, 'lambda', a.lambda);
  disjoint(op, 'advantages', a.advantages, 'rewards', a.rewards);
  disjoint(op, 'returns', a.returns, 'rewards', a.rewards);
  for (let i = 0; i < GAE_INPUTS.length; i++) {
    const name = GAE_INPUTS[i];
    disjoint(op, 'advantages', a.advantages, name, a[name]);
    disjoint(op, 'returns', a.returns, name, a[name]);
  }
  disjoint(op, 'returns', a.returns, 'advantages', a.advantages);
}

/**
 * policySample's arguments: a known head; out (N, k) with k >= 1; logStd k values for 'gaussian'
 * and null for 'categorical'; actions N values (categorical) or (N, k) (gaussian) and logProb N
 * values, sharing no element with an input or with each other; seed and counter as epsilonGreedy's.
 */
export function validatePolicySample(a: PolicySampleOf<Tensor>): void {
  const op = 'policySample';
  checkName('policy head', a.head, POLICY_HEADS);
  checkAlive(op, 'out', a.out);
  checkAlive(op, 'logStd', a.logStd);
  checkAlive(op, 'actions', a.actions);
  checkAlive(op, 'logProb', a.logProb);
  const rows = a.out.rows;
  if (a.head === 'gaussian') {
    if (a.logStd === null) throw new InvalidArgumentError(`${op}: the gaussian head needs logStd, (1, ${a.out.cols}) log standard deviations`);
    featureRow(op, 'logStd', a.logStd, a.out, 'out');
    sameMatrix(op, 'actions', a.actions, 'out', a.out);
  } else {
    if (a.logStd !== null) throw new InvalidArgumentError(`${op}: the categorical head takes no logStd (pass null), got ${describe('logStd', a.logStd)}`);
    columnVector(op, 'actions', a.actions, rows, 'out', a.out);
  }
  columnVector(op, 'logProb', a.logProb, rows, 'out', a.out);
  disjoint(op, 'actions', a.actions, 'out', a.out);
  disjoint(op, 'logProb', a.logProb, 'out', a.out);
  if (a.logStd !== null) {
    disjoint(op, 'actions', a.actions, 'logStd', a.logStd);
    disjoint(op, 'logProb', a.logProb, 'logStd', a.logStd);
  }
  disjoint(op, 'logProb', a.logProb, 'actions', a.actions);
  seedAndCounter(op, a.seed, a.counter);
}

const ENV_STEP_TENSORS = ['state', 'actions', 'obs', 'finalObs', 'rewards', 'terminated', 'truncated', 'episodes'] as const;
/** validateEnvStep's tensors in ENV_STEP_TENSORS' order (reused: validation allocates nothing). */
const envStepTensors: Tensor[] = [];

function envStepObs(op: string, name: string, t: Tensor, n: number, obsDim: number, state: Tensor): void {
  if (t.rows !== n || t.cols !== obsDim) throw new ShapeError(`${op}: ${describe(name, t)} must be (${n}, ${obsDim}) for ${describe('state', state)}`);
}

function envStepVector(op: string, name: string, t: Tensor, n: number, state: Tensor): void {
  if (t.size !== n) throw new ShapeError(`${op}: ${describe(name, t)} must hold ${n} values, one per env of ${describe('state', state)}`);
}

/** A (1, n) row of per-column values (gamma, beta and their gradients; a log-std) for x (B, n), named xName. */
function featureRow(op: string, name: string, t: Tensor, x: Tensor, xName = 'x'): void {
  if (t.size !== x.cols) throw new ShapeError(`${op}: ${describe(name, t)} must be (1, ${x.cols}), one value per column of ${describe(xName, x)}`);
}

/** A (B, 2) tensor of per-row mean and reciprocal std for x (B, n). */
function rowStats(op: string, stats: Tensor, x: Tensor): void {
  if (stats.size !== 2 * x.rows) throw new ShapeError(`${op}: ${describe('stats', stats)} must be (${x.rows}, 2), a mean and a reciprocal std per row of ${describe('x', x)}`);
}

/** An output of layerNorm shares no element with an input. */
function layerNormOutputDisjoint(name: string, out: Tensor, a: LayerNormArgs): void {
  disjoint('layerNorm', name, out, 'x', a.x);
  disjoint('layerNorm', name, out, 'gamma', a.gamma);
  disjoint('layerNorm', name, out, 'beta', a.beta);
}

/** An output of layerNormBackward shares no element with an input other than dy. */
function layerNormGradDisjoint(name: string, out: Tensor, a: LayerNormBackwardArgs): void {
  disjoint('layerNormBackward', name, out, 'x', a.x);
  disjoint('layerNormBackward', name, out, 'gamma', a.gamma);
  disjoint('layerNormBackward', name, out, 'stats', a.stats);
}

/** The activation epilogue of layerNorm and layerNormBackward: a known elementwise one and a finite slope. */
function layerNormActivation(op: string, activation: string, alpha: number): Activation {
  const act = validateActivationName(activation);
  finite(op, 'alpha', alpha);
  if (act === 'softmax') throw new InvalidArgumentError(`${op}: softmax is not elementwise; use biasActivation (activationBackward) after (before) it`);
  return act;
}

/** layerNorm's tensors, eps and activation: out shaped like x, every output disjoint from every input. */
export function validateLayerNorm(a: LayerNormArgs, eps: number, activation: string, alpha: number): void {
  const op = 'layerNorm';
  layerNormActivation(op, activation, alpha);
  checkAlive(op, 'x', a.x);
  checkAlive(op, 'gamma', a.gamma);
  checkAlive(op, 'beta', a.beta);
  checkAlive(op, 'out', a.out);
  checkAlive(op, 'stats', a.stats);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new InvalidArgumentError(`${op}: eps must be positive, got ${eps}`);
  featureRow(op, 'gamma', a.gamma, a.x);
  featureRow(op, 'beta', a.beta, a.x);
  sameMatrix(op, 'out', a.out, 'x', a.x);
  rowStats(op, a.stats, a.x);
  layerNormOutputDisjoint('out', a.out, a);
  layerNormOutputDisjoint('stats', a.stats, a);
  disjoint(op, 'out', a.out, 'stats', a.stats);
}

/**
 * layerNormBackward's tensors: dx may be dy exactly; every other output is disjoint from everything.
 * With an activation other than identity, y (the forward's output) is given, shaped like dy.
 */
export function validateLayerNormBackward(a: LayerNormBackwardArgs, activation: string, alpha: number): void {
  const op = 'layerNormBackward';
  const dx = a.dx ?? null;
  const y = a.y ?? null;
  const act = layerNormActivation(op, activation, alpha);
  checkAlive(op, 'y', y);
  if (act !== 'identity' && y === null) throw new InvalidArgumentError(`${op}: activation ${act} needs y, the forward's output`);
  if (y !== null) {
    sameMatrix(op, 'y', y, 'x', a.x);
    disjoint(op, 'dgamma', a.dgamma, 'y', y);
    disjoint(op, 'dbeta', a.dbeta, 'y', y);
    if (dx !== null) disjoint(op, 'dx', dx, 'y', y);
  }
  checkAlive(op, 'x', a.x);
  checkAlive(op, 'gamma', a.gamma);
  checkAlive(op, 'stats', a.stats);
  checkAlive(op, 'dy', a.dy);
  checkAlive(op, 'dx', dx);
  checkAlive(op, 'dgamma', a.dgamma);
  checkAlive(op, 'dbeta', a.dbeta);
  featureRow(op, 'gamma', a.gamma, a.x);
  rowStats(op, a.stats, a.x);
  sameMatrix(op, 'dy', a.dy, 'x', a.x);
  featureRow(op, 'dgamma', a.dgamma, a.x);
  featureRow(op, 'dbeta', a.dbeta, a.x);
  layerNormGradDisjoint('dgamma', a.dgamma, a);
  layerNormGradDisjoint('dbeta', a.dbeta, a);
  disjoint(op, 'dgamma', a.dgamma, 'dy', a.dy);
  disjoint(op, 'dbeta', a.dbeta, 'dy', a.dy);
  disjoint(op, 'dgamma', a.dgamma, 'dbeta', a.dbeta);
  if (dx !== null) {
    sameMatrix(op, 'dx', dx, 'x', a.x);
    inPlaceOrDisjoint(op, 'dx', dx, 'dy', a.dy);
    layerNormGradDisjoint('dx', dx, a);
    disjoint(op, 'dx', dx, 'dgamma', a.dgamma);
    disjoint(op, 'dx', dx, 'dbeta', a.dbeta);
  }
}

function adamOperandsDisjoint(op: AdamOp, name: string, t: Tensor, param: Tensor, grad: Tensor, m: Tensor, v: Tensor): void {
  disjoint(op, name, t, 'param', param);
  disjoint(op, name, t, 'grad', grad);
  disjoint(op, name, t, 'm', m);
  disjoint(op, name, t, 'v', v);
}

/** The parts of adam's fusion: clipping's sumSquares (1, 1) and a Polyak target shaped like param. */
export function validateAdamFusion(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, fusion: AdamFusion | undefined, op: AdamOp = 'adam'): void {
  const clip = fusion?.clip ?? null;
  const polyak = fusion?.polyak ?? null;
  if (clip !== null) {
    checkAlive(op, 'clip.sumSquares', clip.sumSquares);
    scalarTensor(op, 'clip.sumSquares', clip.sumSquares);
    if (!(clip.maxNorm > 0) || !Number.isFinite(clip.maxNorm)) throw new InvalidArgumentError(`${op}: clip.maxNorm must be positive, got ${clip.maxNorm}`);
    adamOperandsDisjoint(op, 'clip.sumSquares', clip.sumSquares, param, grad, m, v);
  }
  if (polyak !== null) {
    checkAlive(op, 'polyak.target', polyak.target);
    sameSize(op, 'param', param, 'polyak.target', polyak.target);
    finite(op, 'polyak.tau', polyak.tau);
    if (!(polyak.tau >= 0 && polyak.tau <= 1)) throw new InvalidArgumentError(`${op}: polyak.tau must be in [0, 1], got ${polyak.tau}`);
    adamOperandsDisjoint(op, 'polyak.target', polyak.target, param, grad, m, v);
    if (clip !== null) disjoint(op, 'polyak.target', polyak.target, 'clip.sumSquares', clip.sumSquares);
  }
}
