/**
 * The dueling head (Wang et al. 2016): a value stream V(s) and an advantage stream A(s, .) on the
 * same features h, combined as Q(s, .) = V(s) + A(s, .) - mean_a A(s, a). A Layer, so a Q-network
 * is a plain Sequential of hidden layers and a head.
 *
 * Parameters, in order (and drawn from the Rng in that order): the value stream's W (width, 1) and
 * b (1, 1), then the advantage stream's W (width, nActions) and b (1, nActions).
 */
import type { Backend, Tensor } from '../backend/backend.js';
import { ShapeError, formatShape } from '../errors.js';
import { BatchBuffers } from '../nn/batch-buffers.js';
import { Dense } from '../nn/dense.js';
import type { Initializer } from '../nn/init.js';
import type { Layer } from '../nn/layer.js';
import type { Parameter } from '../nn/parameter.js';
import type { ParameterSource } from '../nn/parameter-arena.js';
import type { Rng } from '../random/rng.js';

export class DuelingHead implements Layer {
  readonly description: string;
  private readonly value: Dense;
  private readonly advantage: Dense;
  private readonly params: readonly Parameter[];
  private readonly q: BatchBuffers;
  private readonly gradValue: BatchBuffers;
  private readonly gradAdvantage: BatchBuffers;
  private readonly gradInput: BatchBuffers;
  /** (batch, width) tensors of ones, made once per batch size: the trunk gradient is dhA + 1 * dhV. */
  private readonly ones = new Map<number, Tensor>();

  constructor(
    private readonly backend: Backend,
    readonly width: number,
    readonly nActions: number,
    options: { init: Initializer; rng: Rng; parameters?: ParameterSource },
  ) {
    this.description = `DuelingHead(${width} -> V + A(${nActions}))`;
    const { init, rng, parameters } = options;
    this.value = new Dense(backend, width, 1, { activation: 'identity', init, rng, parameters });
    this.advantage = new Dense(backend, width, nActions, { activation: 'identity', init, rng, parameters });
    const named = (p: Parameter, name: string): Parameter => ({ ...p, name });
    this.params = [named(this.value.weight, 'Wv'), named(this.value.bias, 'bv'), named(this.advantage.weight, 'Wa'), named(this.advantage.bias, 'ba')];
    this.q = new BatchBuffers(backend, nActions, 'dueling.q');
    this.gradValue = new BatchBuffers(backend, 1, 'dueling.dv');
    this.gradAdvantage = new BatchBuffers(backend, nActions, 'dueling.da');
    this.gradInput = new BatchBuffers(backend, width, 'dueling.dh');
  }

  forward(h: Tensor): Tensor {
    if (h.cols !== this.width) throw new ShapeError(`${this.description}: input ${formatShape(h.shape)} does not have ${this.width} features`);
    const v = this.value.forward(h);
    const a = this.advantage.forward(h);
    const q = this.q.get(h.rows);
    this.backend.duelingCombine(v, a, q);
    return q;
  }

  backward(gradQ: Tensor, needInputGrad: boolean, accumulate = true): Tensor | null {
    const batch = gradQ.rows;
    const dv = this.gradValue.get(batch);
    const da = this.gradAdvantage.get(batch);
    this.backend.duelingBackward(gradQ, dv, da);
    const dhValue = this.value.backward(dv, needInputGrad, accumulate);
    const dhAdvantage = this.advantage.backward(da, needInputGrad, accumulate);
    if (!needInputGrad) return null;
    // Both streams read h: its gradient is the sum of theirs.
    const dh = this.gradInput.get(batch);
    this.backend.addMul(dhAdvantage as Tensor, this.onesFor(batch), dhValue as Tensor, dh);
    return dh;
  }

  parameters(): readonly Parameter[] {
    return this.params;
  }

  dispose(): void {
    this.value.dispose();
    this.advantage.dispose();
    for (const b of [this.q, this.gradValue, this.gradAdvantage, this.gradInput]) b.dispose();
    for (const t of this.ones.values()) t.dispose();
    this.ones.clear();
  }

  private onesFor(batch: number): Tensor {
    let ones = this.ones.get(batch);
    if (ones === undefined) {
      ones = this.backend.tensor([batch, this.width], new Float32Array(batch * this.width).fill(1), `dueling.ones[${batch}]`);
      this.ones.set(batch, ones);
    }
    return ones;
  }
}
