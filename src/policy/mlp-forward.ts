/**
 * The forward pass of a weights file's network on the host, in float32 storage: each layer is one
 * of the CPU backend's TypeScript kernels (matmul, bias + activation, LayerNorm, the dueling
 * combination: its float64 mode's, and the reference of its WASM kernels), called on plain typed
 * arrays instead of tensors, so every value is rounded where the engine's CPU forward stores one.
 * Buffers are made once per batch size; a pass allocates nothing after that.
 */
import type { Activation } from '../backend/backend.js';
import { biasActivation } from '../backend/cpu/activation.js';
import { duelingCombine } from '../backend/cpu/indexing.js';
import { layerNorm } from '../backend/cpu/layer-norm.js';
import { matmul, type MatmulArgs } from '../backend/cpu/matmul.js';
import { OP_DEFAULTS } from '../backend/op-defaults.js';
import type { LayerNormCall } from '../backend/backend-base.js';

/** A Dense layer: x (rows, inputs) W (inputs, outputs) + b, then `activation`. */
export interface DenseStep {
  kind: 'dense';
  w: Float32Array;
  b: Float32Array;
  inputs: number;
  outputs: number;
  activation: Activation;
}

/** A LayerNorm over the previous layer's `width` outputs, then `activation` (PQN's hidden layers). */
export interface NormStep {
  kind: 'norm';
  gamma: Float32Array;
  beta: Float32Array;
  width: number;
  eps: number;
  activation: Activation;
}

/** A dueling head on `width` features: Q = V + A - mean(A). */
export interface DuelingStep {
  kind: 'dueling';
  value: DenseStep;
  advantage: DenseStep;
}

export type ForwardStep = DenseStep | NormStep | DuelingStep;

const LEAKY_SLOPE: number = OP_DEFAULTS.leakySlope;

/** The buffers of one batch size: two alternating layer outputs, and the calls that use them, made once. */
interface Workspace {
  input: Float32Array;
  calls: (() => void)[];
  /** The last step's output (rows, outputs). */
  output: Float32Array;
}

/** A stack of steps run on `rows` observations at a time, each batch size's buffers made on first use. */
export class MlpForward {
  private readonly workspaces = new Map<number, Workspace>();
  /** Columns of the head's output (a QR-DQN head's: actions x quantiles). */
  readonly outputs: number;
  private readonly widest: number;

  constructor(
    private readonly steps: readonly ForwardStep[],
    readonly inputs: number,
  ) {
    let width = inputs;
    let widest = inputs;
    for (const step of steps) {
      width = step.kind === 'dense' ? step.outputs : step.kind === 'norm' ? step.width : step.advantage.outputs;
      widest = Math.max(widest, width);
    }
    this.outputs = width;
    this.widest = widest;
  }

  /** The input buffer of a batch of `rows` (rows * inputs values): fill it, then run(rows). */
  inputFor(rows: number): Float32Array {
    return this.workspace(rows).input;
  }

  /** Runs the steps on the batch's input buffer; returns the head's outputs (rows * outputs, reused by the next run of this size). */
  run(rows: number): Float32Array {
    const ws = this.workspace(rows);
    for (const call of ws.calls) call();
    return ws.output;
  }

  private workspace(rows: number): Workspace {
    let ws = this.workspaces.get(rows);
    if (ws === undefined) {
      ws = this.build(rows);
      this.workspaces.set(rows, ws);
    }
    return ws;
  }

  private build(rows: number): Workspace {
    const input = new Float32Array(rows * this.inputs);
    const buffers = [new Float32Array(rows * this.widest), new Float32Array(rows * this.widest)];
    const calls: (() => void)[] = [];
    let x = input;
    let next = 0;
    const dense = (step: DenseStep, from: Float32Array, out: Float32Array): void => {
      const args: MatmulArgs = { a: from, b: step.w, out, m: rows, k: step.inputs, n: step.outputs, transA: false, transB: false, accumulate: false };
      calls.push(() => {
        matmul(args);
        biasActivation(out, step.b, step.activation, out, rows, step.outputs, LEAKY_SLOPE);
      });
    };
    for (const step of this.steps) {
      const out = buffers[next];
      next = 1 - next;
      if (step.kind === 'dense') {
        dense(step, x, out);
      } else if (step.kind === 'norm') {
        // The engine's LayerNorm then its activation on the stored values (what its fused op computes too).
        const call: LayerNormCall<Float32Array> = { x, gamma: step.gamma, beta: step.beta, eps: step.eps, out, stats: new Float32Array(2 * rows), activation: 'identity', alpha: LEAKY_SLOPE, rows, cols: step.width };
        calls.push(() => {
          layerNorm(call);
          biasActivation(out, null, step.activation, out, rows, step.width, LEAKY_SLOPE);
        });
      } else {
        const value = new Float32Array(rows);
        const advantage = new Float32Array(rows * step.advantage.outputs);
        dense(step.value, x, value);
        dense(step.advantage, x, advantage);
        calls.push(() => duelingCombine(value, advantage, out, rows, step.advantage.outputs));
      }
      x = out;
    }
    return { input, calls, output: x.subarray(0, rows * this.outputs) };
  }
}
