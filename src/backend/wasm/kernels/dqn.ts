/**
 * The DQN loss step in one call: TD target, gather at the chosen actions, loss and its gradient,
 * scatter. Per row r of the batch:
 *   next  = Q_target(s', a*) with a* = argmax_a Q_online(s', a) (Double DQN, qNextOnline given),
 *           or max_a Q_target(s', a) (qNextOnline 0);
 *   disc  = gamma * (1 - terminated) (rounded to float32, as a tensor would hold it), or
 *           discounts[r] when discounts is given (n-step returns; terminated is not read);
 *   y     = reward + disc * next                  (as addMul, rounded to float32; stored in targets when given);
 *   d     = Q(s, a_r) - y;
 *   loss += Huber(d; delta) or d^2;  gradQ[r, :] = 0 except gradQ[r, a_r] = dLoss/dQ (mean over the batch).
 * Scalar float64 arithmetic, in the order of the TypeScript ops (addMul, gatherColumns, the losses,
 * scatterColumns), so results match the sequence of separate ops to the last bit in most cases.
 * With Double DQN the online Q(s') may be rows B..2B-1 of q (Backend.tdLoss's layout): any pointer.
 * Returns 0, or r + 1 when actions[r] is not an integer in [0, nActions).
 */
import type { F64, ModuleBuilder } from '../assembler.js';
import { TD_LOSS_CODES } from '../../kernel-codes.js';

export function emitDqn(mod: ModuleBuilder): void {
  mod.func(
    'td_loss',
    {
      qNext: 'i32', qNextOnline: 'i32', q: 'i32', actions: 'i32', rewards: 'i32', terminated: 'i32', gamma: 'f64',
      gradQ: 'i32', lossOut: 'i32', targets: 'i32', batch: 'i32', nActions: 'i32', kind: 'i32', delta: 'f64', discounts: 'i32',
    },
    'i32',
    (f) => {
      const P = f.params;
      const { i32, f32, f64 } = f;
      const r = f.local('i32');
      const c = f.local('i32');
      const row = f.local('i32');
      const best = f.local('f32');
      const index = f.local('i32');
      const v = f.local('f32');
      const a = f.local('f32');
      const ai = f.local('i32');
      const target = f.local('f32');
      const discount = f.local('f32');
      const d = f.local('f64');
      const ad = f.local('f64');
      const grad = f.local('f64');
      const sum = f.local('f64');
      const size = f.local('f64');
      const rowBytes = f.local('i32');
      f.set(rowBytes, i32.shl(f.get(P.nActions), i32.const(2)));
      f.set(size, f64.promote_f32(f32.convert_i32_s(f.get(P.batch))));
      // Validate every action first (scatterColumns checks before writing anything).
      f.forRange(r, () => i32.const(0), () => f.get(P.batch), 1, () => {
        f.set(a, f32.load(i32.add(f.get(P.actions), i32.shl(f.get(r), i32.const(2)))));
        f.if(i32.eqz(i32.and(f32.ge(f.get(a), f32.const(0)), f32.lt(f.get(a), f32.convert_i32_s(f.get(P.nActions))))), () => f.ret(i32.add(f.get(r), i32.const(1))));
        f.if(f32.ne(f32.convert_i32_s(i32.trunc_f32_s(f.get(a))), f.get(a)), () => f.ret(i32.add(f.get(r), i32.const(1))));
      });
      f.set(sum, f64.const(0));
      f.forRange(r, () => i32.const(0), () => f.get(P.batch), 1, () => {
        f.set(row, i32.mul(f.get(r), f.get(P.nActions)));
        const at = (base: typeof P.q, col: typeof c): ReturnType<typeof i32.add> => i32.add(f.get(base), i32.shl(i32.add(f.get(row), f.get(col)), i32.const(2)));
        // next value
        f.set(index, i32.const(0));
        f.if(
          f.get(P.qNextOnline),
          () => {
            f.set(best, f32.load(at(P.qNextOnline, index)));
            f.forRange(c, () => i32.const(1), () => f.get(P.nActions), 1, () => {
              f.set(v, f32.load(at(P.qNextOnline, c)));
              f.if(f32.gt(f.get(v), f.get(best)), () => {
                f.set(best, f.get(v));
                f.set(index, f.get(c));
              });
            });
            f.set(best, f32.load(at(P.qNext, index)));
          },
          () => {
            f.set(best, f32.load(at(P.qNext, index)));
            f.forRange(c, () => i32.const(1), () => f.get(P.nActions), 1, () => {
              f.set(v, f32.load(at(P.qNext, c)));
              f.if(f32.gt(f.get(v), f.get(best)), () => f.set(best, f.get(v)));
            });
          },
        );
        const scalarAt = (base: typeof P.q): F64 => f64.promote_f32(f32.load(i32.add(f.get(base), i32.shl(f.get(r), i32.const(2)))));
        f.if(
          f.get(P.discounts),
          () => f.set(discount, f32.load(i32.add(f.get(P.discounts), i32.shl(f.get(r), i32.const(2))))),
          () => f.set(discount, f32.demote_f64(f64.mul(f.get(P.gamma), f64.sub(f64.const(1), scalarAt(P.terminated))))),
        );
        f.set(target, f32.demote_f64(f64.add(scalarAt(P.rewards), f64.mul(f64.promote_f32(f.get(discount)), f64.promote_f32(f.get(best))))));
        f.if(f.get(P.targets), () => f32.store(i32.add(f.get(P.targets), i32.shl(f.get(r), i32.const(2))), f.get(target)));
        f.set(ai, i32.trunc_f32_s(f32.load(i32.add(f.get(P.actions), i32.shl(f.get(r), i32.const(2))))));
        f.set(d, f64.sub(f64.promote_f32(f32.load(at(P.q, ai))), f64.promote_f32(f.get(target))));
        f.if(
          i32.eq(f.get(P.kind), i32.const(TD_LOSS_CODES.huber)),
          () => {
            f.set(ad, f64.abs(f.get(d)));
            f.if(
              f64.le(f.get(ad), f.get(P.delta)),
              () => {
                f.set(sum, f64.add(f.get(sum), f64.mul(f64.mul(f64.const(0.5), f.get(d)), f.get(d))));
                f.set(grad, f64.div(f.get(d), f.get(size)));
              },
              () => {
                f.set(sum, f64.add(f.get(sum), f64.mul(f.get(P.delta), f64.sub(f.get(ad), f64.mul(f64.const(0.5), f.get(P.delta))))));
                f.set(grad, f64.div(f.select(f.get(P.delta), f64.neg(f.get(P.delta)), f64.gt(f.get(d), f64.const(0))), f.get(size)));
              },
            );
          },
          () => {
            f.set(sum, f64.add(f.get(sum), f64.mul(f.get(d), f.get(d))));
            f.set(grad, f64.mul(f64.div(f64.const(2), f.get(size)), f.get(d)));
          },
        );
        f.memoryFill(i32.add(f.get(P.gradQ), i32.shl(f.get(row), i32.const(2))), i32.const(0), f.get(rowBytes));
        f32.store(at(P.gradQ, ai), f32.demote_f64(f.get(grad)));
      });
      f32.store(f.get(P.lossOut), f32.demote_f64(f64.div(f.get(sum), f.get(size))));
      f.ret(i32.const(0));
      // Unreachable end: the function's result is on the stack from `return`.
      f.i32.const(0);
    },
  );
}
