/**
 * Bias + activation forward and activation backward over a block of rows, vectorised over
 * columns. Each activation gets its own loop (no per-element dispatch); a tail of fewer than four
 * columns goes through the TILE scratch so that one vector code path serves every width.
 *
 * Semantics are those of src/backend/cpu/activation.ts: ReLU/LeakyReLU backward test y > 0;
 * softmax subtracts the row maximum; NaN in gives NaN out except for ReLU (as `v > 0 ? v : 0`).
 */
import type { FuncRef, FunctionBuilder, I32, Local, ModuleBuilder, V128 } from '../assembler.js';
import { ACTIVATION_CODES } from '../../kernel-codes.js';
import { TILE_PTR } from '../memory-layout.js';
import { expNonPositive, mathLocals, sigmoid, tanh, type MathLocals } from './vector-math.js';

export type ElementwiseActivation = 'identity' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';
export const ELEMENTWISE: readonly ElementwiseActivation[] = ['identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid'];

export interface ActivationFunctions {
  /** bias_act(x, out, rows, cols, stride, bias, act, alpha): out = act(x + bias); stride in bytes for x and out rows; bias 0 = none. */
  biasAct: FuncRef<null>;
  /** act_backward(y, g, out, rows, cols, stride, act, alpha): out = act'(y) applied to g; one stride for all three. */
  actBackward: FuncRef<null>;
}

/**
 * Applies `body` to every 4-column group of each row, then to the tail through TILE (the tail's
 * inputs are copied to TILE, the body runs there, and the valid lanes are copied back).
 * `body(inAddr, outAddr, colOffsetBytes)` reads at inAddr and writes at outAddr.
 */
function forEachVector(
  f: FunctionBuilder,
  rows: Local<'i32'>,
  cols: Local<'i32'>,
  rowPointers: Local<'i32'>[],
  stride: Local<'i32'>,
  tailInputs: Local<'i32'>[],
  body: (col: Local<'i32'>, tail: boolean) => void,
): void {
  const { i32 } = f;
  const r = f.local('i32');
  const c = f.local('i32');
  const cols4 = f.local('i32');
  const k = f.local('i32');
  f.set(cols4, i32.and(f.get(cols), i32.const(~3)));
  f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
    f.forRange(c, () => i32.const(0), () => f.get(cols4), 4, () => body(c, false));
    f.if(i32.lt_s(f.get(c), f.get(cols)), () => {
      // Tail: copy each input's remaining columns to TILE + 16 * input, run the body there.
      tailInputs.forEach((input, slot) => {
        f.forRange(k, () => f.get(c), () => f.get(cols), 1, () => {
          f.f32.store(i32.shl(i32.sub(f.get(k), f.get(c)), i32.const(2)), f.f32.load(i32.add(f.get(input), i32.shl(f.get(k), i32.const(2)))), TILE_PTR + 16 * slot);
        });
      });
      body(c, true);
    });
    for (const p of rowPointers) f.set(p, i32.add(f.get(p), f.get(stride)));
  });
}

export function emitActivationFunctions(mod: ModuleBuilder): ActivationFunctions {
  const biasAct = mod.func(
    'bias_act',
    { x: 'i32', out: 'i32', rows: 'i32', cols: 'i32', stride: 'i32', bias: 'i32', act: 'i32', alpha: 'f32' },
    null,
    (f) => {
      const { x, out, rows, cols, stride, bias, act, alpha } = f.params;
      const { i32, v128, f32x4 } = f;
      const L = mathLocals(f);
      const v = f.local('v128');
      const alphaV = f.local('v128');
      const zero = f.local('v128');
      const last = f.local('i32');
      f.set(alphaV, f32x4.splat(f.get(alpha)));
      f.set(zero, v128.i32x4(0));
      f.if(i32.eq(f.get(act), i32.const(ACTIVATION_CODES.softmax)), () => {
        emitSoftmaxRows(f, x, out, rows, cols, stride, bias, L);
        f.ret();
      });
      for (const name of ELEMENTWISE) {
        for (const withBias of [true, false]) {
          const cond = (): I32 => i32.and(i32.eq(f.get(act), i32.const(ACTIVATION_CODES[name])), withBias ? i32.ne(f.get(bias), i32.const(0)) : i32.eqz(f.get(bias)));
          f.if(cond(), () => {
            const xs = f.local('i32');
            const os = f.local('i32');
            f.set(xs, f.get(x));
            f.set(os, f.get(out));
            // The tail reads x from TILE + 0 and bias from TILE + 16 (bias is one row: copy it per row too).
            forEachVector(f, rows, cols, [xs, os], stride, withBias ? [xs, bias] : [xs], (c, tail) => {
              const off = (): I32 => i32.shl(f.get(c), i32.const(2));
              const load = (): V128 => (tail ? v128.load(i32.const(TILE_PTR)) : v128.load(i32.add(f.get(xs), off())));
              if (withBias) {
                const b = (): V128 => (tail ? v128.load(i32.const(TILE_PTR + 16)) : v128.load(i32.add(f.get(bias), off())));
                f.set(v, f32x4.add(load(), b()));
              } else {
                f.set(v, load());
              }
              applyForward(f, name, v, alphaV, zero, L);
              if (!tail) {
                v128.store(i32.add(f.get(os), off()), f.get(v));
              } else {
                v128.store(i32.const(TILE_PTR), f.get(v));
                f.set(last, i32.sub(f.get(cols), f.get(c)));
                emitTailStore(f, i32.add(f.get(os), off()), last);
              }
            });
          });
        }
      }
    },
  );

  const actBackward = mod.func(
    'act_backward',
    { y: 'i32', g: 'i32', out: 'i32', rows: 'i32', cols: 'i32', stride: 'i32', act: 'i32', alpha: 'f32' },
    null,
    (f) => {
      const { y, g, out, rows, cols, stride, act, alpha } = f.params;
      const { i32, v128, f32x4 } = f;
      const gv = f.local('v128');
      const yv = f.local('v128');
      const alphaV = f.local('v128');
      const last = f.local('i32');
      f.set(alphaV, f32x4.splat(f.get(alpha)));
      f.if(i32.eq(f.get(act), i32.const(ACTIVATION_CODES.softmax)), () => {
        emitSoftmaxBackwardRows(f, y, g, out, rows, cols, stride);
        f.ret();
      });
      for (const name of ELEMENTWISE) {
        f.if(i32.eq(f.get(act), i32.const(ACTIVATION_CODES[name])), () => {
          const ys = f.local('i32');
          const gs = f.local('i32');
          const os = f.local('i32');
          f.set(ys, f.get(y));
          f.set(gs, f.get(g));
          f.set(os, f.get(out));
          forEachVector(f, rows, cols, [ys, gs, os], stride, name === 'identity' ? [gs] : [gs, ys], (c, tail) => {
            const off = (): I32 => i32.shl(f.get(c), i32.const(2));
            f.set(gv, tail ? v128.load(i32.const(TILE_PTR)) : v128.load(i32.add(f.get(gs), off())));
            if (name !== 'identity') f.set(yv, tail ? v128.load(i32.const(TILE_PTR + 16)) : v128.load(i32.add(f.get(ys), off())));
            applyBackward(f, name, gv, yv, alphaV);
            if (!tail) {
              v128.store(i32.add(f.get(os), off()), f.get(gv));
            } else {
              v128.store(i32.const(TILE_PTR), f.get(gv));
              f.set(last, i32.sub(f.get(cols), f.get(c)));
              emitTailStore(f, i32.add(f.get(os), off()), last);
            }
          });
        });
      }
    },
  );
  return { biasAct, actBackward };
}

/** Copies `count` (< 4) floats from TILE to addr. */
function emitTailStore(f: FunctionBuilder, _addr: I32, count: Local<'i32'>): void {
  const { i32 } = f;
  const dst = f.local('i32');
  const k = f.local('i32');
  f.set(dst, _addr);
  f.forRange(k, () => i32.const(0), () => f.get(count), 1, () => {
    const off = (): I32 => i32.shl(f.get(k), i32.const(2));
    f.f32.store(i32.add(f.get(dst), off()), f.f32.load(off(), TILE_PTR));
  });
}

/** v <- act(v) for an elementwise activation (shared with kernels/layer-norm.ts: the same bits as an unfused bias_act). */
export function applyForward(f: FunctionBuilder, name: ElementwiseActivation, v: Local<'v128'>, alphaV: Local<'v128'>, zero: Local<'v128'>, L: MathLocals): void {
  const { v128, f32x4 } = f;
  switch (name) {
    case 'identity':
      return;
    case 'relu':
      // pmax(0, v) = 0 < v ? v : 0, as `v > 0 ? v : 0` (NaN and -0 give +0).
      f.set(v, f32x4.pmax(f.get(zero), f.get(v)));
      return;
    case 'leaky_relu':
      f.set(v, v128.bitselect(f.get(v), f32x4.mul(f.get(alphaV), f.get(v)), f32x4.gt(f.get(v), f.get(zero))));
      return;
    case 'tanh':
      f.set(v, tanh(f, L, v));
      return;
    case 'sigmoid':
      f.set(v, sigmoid(f, L, v));
      return;
  }
}

/**
 * g <- g act'(y) for an elementwise activation, y the activation's output (ReLU/LeakyReLU test y > 0).
 * Shared with kernels/layer-norm.ts, whose fused derivative must give act_backward's bits.
 */
export function applyBackward(f: FunctionBuilder, name: ElementwiseActivation, gv: Local<'v128'>, yv: Local<'v128'>, alphaV: Local<'v128'>): void {
  const { v128, f32x4 } = f;
  switch (name) {
    case 'identity':
      return;
    case 'relu':
      f.set(gv, v128.and(f.get(gv), f32x4.gt(f.get(yv), v128.i32x4(0))));
      return;
    case 'leaky_relu':
      f.set(gv, v128.bitselect(f.get(gv), f32x4.mul(f.get(alphaV), f.get(gv)), f32x4.gt(f.get(yv), v128.i32x4(0))));
      return;
    case 'tanh':
      f.set(gv, f32x4.mul(f.get(gv), f32x4.sub(v128.f32x4(1), f32x4.mul(f.get(yv), f.get(yv)))));
      return;
    case 'sigmoid':
      f.set(gv, f32x4.mul(f32x4.mul(f.get(gv), f.get(yv)), f32x4.sub(v128.f32x4(1), f.get(yv))));
      return;
  }
}

/** Scalar loops over each row (softmax rows are short: class counts). */
function emitSoftmaxRows(
  f: FunctionBuilder,
  x: Local<'i32'>,
  out: Local<'i32'>,
  rows: Local<'i32'>,
  cols: Local<'i32'>,
  stride: Local<'i32'>,
  bias: Local<'i32'>,
  L: MathLocals,
): void {
  const { i32, f32, f32x4 } = f;
  const r = f.local('i32');
  const c = f.local('i32');
  const xs = f.local('i32');
  const os = f.local('i32');
  const max = f.local('f32');
  const sum = f.local('f32');
  const val = f.local('f32');
  const e = f.local('f32');
  const at = (base: Local<'i32'>): I32 => i32.add(f.get(base), i32.shl(f.get(c), i32.const(2)));
  const value = (): ReturnType<typeof f32.load> => {
    // x[c] (+ bias[c]); the bias pointer is 0 for none, so select between the sum and x alone.
    return f.select(f32.add(f32.load(at(xs)), f32.load(at(bias))), f32.load(at(xs)), f.get(bias));
  };
  const expScalar = (arg: () => ReturnType<typeof f32.load>): ReturnType<typeof f32.load> => {
    f.set(L.x, f32x4.splat(arg()));
    return f32x4.extract_lane(expNonPositive(f, L), 0);
  };
  f.set(xs, f.get(x));
  f.set(os, f.get(out));
  f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
    f.set(max, f32.const(-Infinity));
    f.forRange(c, () => i32.const(0), () => f.get(cols), 1, () => {
      f.set(val, value());
      f.if(f32.gt(f.get(val), f.get(max)), () => f.set(max, f.get(val)));
    });
    f.set(sum, f32.const(0));
    f.forRange(c, () => i32.const(0), () => f.get(cols), 1, () => {
      f.set(e, expScalar(() => f32.sub(value(), f.get(max))));
      f.set(sum, f32.add(f.get(sum), f.get(e)));
      f32.store(at(os), f.get(e));
    });
    f.forRange(c, () => i32.const(0), () => f.get(cols), 1, () => {
      f32.store(at(os), f32.div(f32.load(at(os)), f.get(sum)));
    });
    f.set(xs, i32.add(f.get(xs), f.get(stride)));
    f.set(os, i32.add(f.get(os), f.get(stride)));
  });
}

/** gradIn = y (g - sum_c g y) per row. */
function emitSoftmaxBackwardRows(
  f: FunctionBuilder,
  y: Local<'i32'>,
  g: Local<'i32'>,
  out: Local<'i32'>,
  rows: Local<'i32'>,
  cols: Local<'i32'>,
  stride: Local<'i32'>,
): void {
  const { i32, f32 } = f;
  const r = f.local('i32');
  const c = f.local('i32');
  const ys = f.local('i32');
  const gs = f.local('i32');
  const os = f.local('i32');
  const dot = f.local('f32');
  const at = (base: Local<'i32'>): I32 => i32.add(f.get(base), i32.shl(f.get(c), i32.const(2)));
  f.set(ys, f.get(y));
  f.set(gs, f.get(g));
  f.set(os, f.get(out));
  f.forRange(r, () => i32.const(0), () => f.get(rows), 1, () => {
    f.set(dot, f32.const(0));
    f.forRange(c, () => i32.const(0), () => f.get(cols), 1, () => {
      f.set(dot, f32.add(f.get(dot), f32.mul(f32.load(at(gs)), f32.load(at(ys)))));
    });
    f.forRange(c, () => i32.const(0), () => f.get(cols), 1, () => {
      f32.store(at(os), f32.mul(f32.load(at(ys)), f32.sub(f32.load(at(gs)), f.get(dot))));
    });
    for (const p of [ys, gs, os]) f.set(p, i32.add(f.get(p), f.get(stride)));
  });
}
