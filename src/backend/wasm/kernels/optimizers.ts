/**
 * Adam and SGD over one flat parameter arena in one call, with two optional fusions:
 * - global-norm clipping: the gradient is multiplied by min(1, maxNorm / (sqrt(*sumSquares) + 1e-6))
 *   (and the clipped gradient stored back, as clip_grad_norm_ leaves it);
 * - a Polyak (soft) target update after the step: target += tau (param_new - target).
 * Formulas and the order of operations are those of src/backend/cpu/optimizers.ts, in float32,
 * except that Adam multiplies sqrt(v) by 1 / sqrt(1 - beta2^t) instead of dividing by its inverse
 * (one division per element fewer; at most one extra rounding, well inside the ADAM tolerance),
 * and that the moments (Adam's m and v, SGD's momentum buffer) are flushed to zero where they fall
 * below float32's normal range (flushSubnormal).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { clipCoefficient, emitMap, type MapIo } from './elementwise.js';

/**
 * The float scalars of `adam` and `sgd`, which they read from an argument block in memory (float32
 * at these indices, see ARGS_PTR) instead of taking them as parameters: the caller stores numbers
 * into a typed array, which never allocates, whereas doubles passed as call arguments are boxed by
 * V8 whenever its optimising compiler does not inline the JS-to-WASM call.
 */
export const ADAM_ARGS = {
  beta1: 0, beta2: 1, oneMinusBeta1: 2, oneMinusBeta2: 3, stepSize: 4, invSqrtCorrection2: 5, eps: 6, l2: 7, decay: 8, maxNorm: 9, tau: 10,
} as const;
export const SGD_ARGS = { lr: 0, momentum: 1, oneMinusDampening: 2, weightDecay: 3, maxNorm: 4, tau: 5 } as const;

/** One f32 local per argument of `layout`, loaded from the block at `args`. */
function loadArgs<K extends string>(f: FunctionBuilder, args: Local<'i32'>, layout: Record<K, number>): Record<K, Local<'f32'>> {
  const out = {} as Record<K, Local<'f32'>>;
  for (const name of Object.keys(layout) as K[]) {
    const l = f.local('f32');
    f.set(l, f.f32.load(f.i32.add(f.get(args), f.i32.const(4 * layout[name]))));
    out[name] = l;
  }
  return out;
}

export function emitOptimizers(mod: ModuleBuilder): void {
  // Variants are emitted per (clip, target) so the element loop has no branch.
  mod.func(
    'adam',
    {
      param: 'i32', grad: 'i32', m: 'i32', v: 'i32', n: 'i32', args: 'i32', sumSquares: 'i32', target: 'i32',
    },
    null,
    (f) => {
      const P = { ...f.params, ...loadArgs(f, f.params.args, ADAM_ARGS) };
      const { f32x4 } = f;
      const splat = (x: Local<'f32'>): Local<'v128'> => {
        const l = f.local('v128');
        f.set(l, f32x4.splat(f.get(x)));
        return l;
      };
      const b1 = splat(P.beta1);
      const b2 = splat(P.beta2);
      const omb1 = splat(P.oneMinusBeta1);
      const omb2 = splat(P.oneMinusBeta2);
      const step = splat(P.stepSize);
      const invSc2 = splat(P.invSqrtCorrection2);
      const eps = splat(P.eps);
      const l2 = splat(P.l2);
      const decay = splat(P.decay);
      const tau = splat(P.tau);
      const normalMin = smallestNormalSplat(f);
      const coef = f.local('v128');
      const g = f.local('v128');
      const p = f.local('v128');
      const mv = f.local('v128');
      const vv = f.local('v128');
      const t = f.local('v128');
      const body = (io: MapIo, clip: boolean, target: boolean): void => {
        f.set(g, io.load(P.grad));
        if (clip) {
          f.set(g, f32x4.mul(f.get(g), f.get(coef)));
          io.store(P.grad, () => f.get(g));
        }
        f.set(p, io.load(P.param));
        f.set(g, f32x4.add(f.get(g), f32x4.mul(f.get(l2), f.get(p))));
        f.set(mv, f32x4.add(f32x4.mul(f.get(b1), io.load(P.m)), f32x4.mul(f.get(omb1), f.get(g))));
        flushSubnormal(f, mv, normalMin);
        io.store(P.m, () => f.get(mv));
        f.set(vv, f32x4.add(f32x4.mul(f.get(b2), io.load(P.v)), f32x4.mul(f32x4.mul(f.get(omb2), f.get(g)), f.get(g))));
        flushSubnormal(f, vv, normalMin);
        io.store(P.v, () => f.get(vv));
        f.set(
          p,
          f32x4.sub(
            f32x4.mul(f.get(p), f.get(decay)),
            f32x4.div(f32x4.mul(f.get(step), f.get(mv)), f32x4.add(f32x4.mul(f32x4.sqrt(f.get(vv)), f.get(invSc2)), f.get(eps))),
          ),
        );
        io.store(P.param, () => f.get(p));
        if (target) polyak(f, io, P.target, p, tau, t);
      };
      emitVariants(f, P.sumSquares, P.maxNorm, P.target, coef, P.n, body);
    },
  );

  mod.func(
    'sgd',
    {
      param: 'i32', grad: 'i32', velocity: 'i32', n: 'i32', args: 'i32', flags: 'i32', sumSquares: 'i32', target: 'i32',
    },
    null,
    (f) => {
      const P = { ...f.params, ...loadArgs(f, f.params.args, SGD_ARGS) };
      const { f32x4, i32 } = f;
      const splat = (x: Local<'f32'>): Local<'v128'> => {
        const l = f.local('v128');
        f.set(l, f32x4.splat(f.get(x)));
        return l;
      };
      const lr = splat(P.lr);
      const mom = splat(P.momentum);
      const omd = splat(P.oneMinusDampening);
      const wd = splat(P.weightDecay);
      const tau = splat(P.tau);
      const normalMin = smallestNormalSplat(f);
      const coef = f.local('v128');
      const g = f.local('v128');
      const p = f.local('v128');
      const buf = f.local('v128');
      const t = f.local('v128');
      // flags: 1 momentum != 0, 2 nesterov, 4 first step (buffer = gradient).
      const useMomentum = f.local('i32');
      const nesterov = f.local('i32');
      const first = f.local('i32');
      f.set(useMomentum, i32.and(f.get(P.flags), i32.const(1)));
      f.set(nesterov, i32.and(f.get(P.flags), i32.const(2)));
      f.set(first, i32.and(f.get(P.flags), i32.const(4)));
      for (const mode of ['plain', 'first', 'momentum'] as const) {
        for (const nest of mode === 'plain' ? [false] : [false, true]) {
          const selected = (): ReturnType<typeof i32.eqz> => {
            if (mode === 'plain') return i32.eqz(f.get(useMomentum));
            const m = i32.and(i32.ne(f.get(useMomentum), i32.const(0)), mode === 'first' ? i32.ne(f.get(first), i32.const(0)) : i32.eqz(f.get(first)));
            return i32.and(m, nest ? i32.ne(f.get(nesterov), i32.const(0)) : i32.eqz(f.get(nesterov)));
          };
          f.if(selected(), () => {
            const body = (io: MapIo, clip: boolean, target: boolean): void => {
              f.set(g, io.load(P.grad));
              if (clip) {
                f.set(g, f32x4.mul(f.get(g), f.get(coef)));
                io.store(P.grad, () => f.get(g));
              }
              f.set(p, io.load(P.param));
              f.set(g, f32x4.add(f.get(g), f32x4.mul(f.get(wd), f.get(p))));
              if (mode !== 'plain') {
                if (mode === 'first') f.set(buf, f.get(g));
                else f.set(buf, f32x4.add(f32x4.mul(f.get(mom), io.load(P.velocity)), f32x4.mul(f.get(omd), f.get(g))));
                flushSubnormal(f, buf, normalMin);
                io.store(P.velocity, () => f.get(buf));
                f.set(g, nest ? f32x4.add(f.get(g), f32x4.mul(f.get(mom), f.get(buf))) : f.get(buf));
              }
              f.set(p, f32x4.sub(f.get(p), f32x4.mul(f.get(lr), f.get(g))));
              io.store(P.param, () => f.get(p));
              if (target) polyak(f, io, P.target, p, tau, t);
            };
            emitVariants(f, P.sumSquares, P.maxNorm, P.target, coef, P.n, body);
          });
        }
      }
    },
  );
}

/** The smallest normal float32 (FLT_MIN). */
const SMALLEST_NORMAL_F32 = 1.1754943508222875e-38;

/**
 * x <- 0 in the lanes where |x| < FLT_MIN (subnormal numbers, and -0); NaN and infinities pass (the
 * non-finite guards must still see them). WebAssembly has no flush-to-zero mode, and an x86 core
 * takes about a hundred cycles for an operation on a subnormal operand. An optimiser moment decays
 * geometrically wherever a parameter's gradient has become tiny or zero (m by beta1 per step), so it
 * spends many steps subnormal: measured on the DQN bench's 4-256-256-2 update, 44 % of Adam's m
 * went subnormal after about 600 updates and Adam took 16 times as long, halving the update rate.
 * A subnormal moment moves its parameter by less than 1e-30 anyway.
 */
function flushSubnormal(f: FunctionBuilder, x: Local<'v128'>, smallestNormal: Local<'v128'>): void {
  const { f32x4 } = f;
  f.set(x, f.v128.andnot(f.get(x), f32x4.lt(f32x4.abs(f.get(x)), f.get(smallestNormal))));
}

/** A v128 local holding FLT_MIN in every lane. */
function smallestNormalSplat(f: FunctionBuilder): Local<'v128'> {
  const l = f.local('v128');
  f.set(l, f.v128.f32x4(SMALLEST_NORMAL_F32));
  return l;
}

/** target += tau (p - target), p the new parameter value. */
function polyak(f: FunctionBuilder, io: MapIo, target: Local<'i32'>, p: Local<'v128'>, tau: Local<'v128'>, t: Local<'v128'>): void {
  const { f32x4 } = f;
  f.set(t, io.load(target));
  io.store(target, () => f32x4.add(f.get(t), f32x4.mul(f.get(tau), f32x4.sub(f.get(p), f.get(t)))));
}

/** Emits the four (clip?, target?) copies of an update loop, each behind its own test. */
function emitVariants(
  f: FunctionBuilder,
  sumSquares: Local<'i32'>,
  maxNorm: Local<'f32'>,
  target: Local<'i32'>,
  coef: Local<'v128'>,
  n: Local<'i32'>,
  body: (io: MapIo, clip: boolean, target: boolean) => void,
): void {
  const { i32 } = f;
  for (const clip of [false, true]) {
    for (const withTarget of [false, true]) {
      const clipTest = clip ? i32.ne(f.get(sumSquares), i32.const(0)) : i32.eqz(f.get(sumSquares));
      const targetTest = withTarget ? i32.ne(f.get(target), i32.const(0)) : i32.eqz(f.get(target));
      f.if(i32.and(clipTest, targetTest), () => {
        if (clip) f.set(coef, f.f32x4.splat(clipCoefficient(f, sumSquares, maxNorm)));
        emitMap(f, n, (io) => body(io, clip, withTarget));
      });
    }
  }
}
