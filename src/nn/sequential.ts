/** A stack of layers trained together, and `mlp()` to build the usual one. */
import type { Activation, Backend, FloatArray, Shape, Tensor } from '../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import type { Rng } from '../random/rng.js';
import { Dense } from './dense.js';
import type { Initializer } from './init.js';
import type { Layer } from './layer.js';
import { layerNormThen } from './layer-norm.js';
import type { Parameter } from './parameter.js';
import { ParameterArena, arenaOf, zeroGrads } from './parameter-arena.js';

export interface BackwardOptions {
  /** Also compute and return the gradient with respect to the network input (default false). */
  inputGrad?: boolean;
  /**
   * Add into the parameter gradients (default true) or overwrite them (false: the same result as
   * zeroGrad() then backward(), in fewer ops).
   */
  accumulate?: boolean;
}

export interface SequentialOptions {
  /** The arena the layers' parameters live in, disposed with the model (see mlp). */
  arena?: ParameterArena;
}

export class Sequential {
  readonly layers: readonly Layer[];
  /**
   * The arena holding exactly this model's parameters, when it has one: whole-network ops
   * (zeroGrad, copyFrom, lerpFrom, getWeights, and optimisers) then run once over it.
   */
  readonly arena: ParameterArena | null;
  private readonly params: readonly Parameter[];
  /** For each parameter, the layer it belongs to (for error messages). */
  private readonly owners: readonly { layer: Layer; index: number }[];
  private readonly ownedArena: ParameterArena | null;

  constructor(
    readonly backend: Backend,
    layers: readonly Layer[],
    options: SequentialOptions = {},
  ) {
    if (layers.length === 0) throw new InvalidArgumentError('Sequential: needs at least one layer');
    this.layers = [...layers];
    const params: Parameter[] = [];
    const owners: { layer: Layer; index: number }[] = [];
    let parametric = 0;
    this.layers.forEach((layer, index) => {
      const own = layer.parameters();
      if (own.length > 0) parametric++;
      for (const p of own) {
        params.push({ ...p, name: `${p.name}${parametric}` });
        owners.push({ layer, index });
      }
    });
    this.params = params;
    this.owners = owners;
    this.arena = arenaOf(params);
    this.ownedArena = options.arena ?? null;
  }

  /**
   * The network output for x (batch, inputs). It is owned by the model, cached per batch size and
   * overwritten by the next forward with the same batch size. backward() differentiates the most
   * recent forward, whose input x must stay unchanged until then.
   */
  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }

  /**
   * Backpropagates gradOut (d loss / d output of the latest forward, possibly of its first rows
   * only): accumulates into every parameter's grad (call zeroGrad() first to start from zero, or
   * pass `accumulate: false`). Returns d loss / d input when `inputGrad` is set (owned by the first
   * layer), else null.
   *
   * Between two Dense layers the gradient passed down is fused with the lower layer's activation
   * derivative (Dense.inputGrad), so each Dense layer costs two ops: its parameter gradients and
   * the gradient for the layer below.
   */
  backward(gradOut: Tensor, options?: BackwardOptions): Tensor | null {
    const accumulate = options?.accumulate ?? true;
    const inputGrad = options?.inputGrad === true;
    const layers = this.layers;
    let g: Tensor = gradOut;
    // Whether g is already the gradient of layer i's pre-activation (fused by the layer above).
    let preActivation = false;
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      const needInputGrad = i > 0 || inputGrad;
      if (!(layer instanceof Dense)) {
        const down = layer.backward(g, needInputGrad, accumulate);
        if (down === null) return null;
        g = down;
        preActivation = false;
        continue;
      }
      if (!preActivation) g = layer.preActivationGrad(g);
      layer.parameterGrads(g, accumulate);
      if (!needInputGrad) return null;
      const below = i > 0 ? layers[i - 1] : null;
      const fuse = below instanceof Dense && below.fusesBelow;
      g = layer.inputGrad(g, fuse ? below : null);
      preActivation = fuse;
    }
    return g;
  }

  /** [W1, b1, W2, b2, ...]: the same array (and tensors) on every call. */
  parameters(): Parameter[] {
    return this.params as Parameter[];
  }

  /** Sets every parameter gradient to zero (one op over the arena, when there is one). */
  zeroGrad(): void {
    zeroGrads(this.backend, this.params, this.arena);
  }

  /** Hard target update: copies every parameter of `other` (same architecture) into this model. */
  copyFrom(other: Sequential): void {
    this.checkSameArchitecture(other, 'copyFrom');
    const shared = this.sharedLayout(other);
    if (shared !== null) {
      this.backend.copy(shared.theirs.values, shared.mine.values);
      return;
    }
    const mine = this.params;
    const theirs = other.parameters();
    for (let i = 0; i < mine.length; i++) this.backend.copy(theirs[i].value, mine[i].value);
  }

  /** Soft (Polyak) target update: this <- this + tau (other - this). */
  lerpFrom(other: Sequential, tau: number): void {
    this.checkSameArchitecture(other, 'lerpFrom');
    if (!(tau >= 0 && tau <= 1)) throw new InvalidArgumentError(`lerpFrom: tau must be in [0, 1], got ${tau}`);
    const shared = this.sharedLayout(other);
    if (shared !== null) {
      this.backend.lerp(shared.mine.values, shared.theirs.values, tau);
      return;
    }
    const mine = this.params;
    const theirs = other.parameters();
    for (let i = 0; i < mine.length; i++) this.backend.lerp(mine[i].value, theirs[i].value, tau);
  }

  /** [W1, b1, W2, b2, ...] as flat row-major arrays (W as (in, out)); one read of the arena when there is one. */
  async getWeights(): Promise<FloatArray[]> {
    const arena = this.arena;
    if (arena !== null) {
      const all = await this.backend.read(arena.values);
      return this.params.map((p, i) => all.slice(arena.offsets[i], arena.offsets[i] + p.value.size));
    }
    const out: FloatArray[] = [];
    for (const p of this.params) out.push(await this.backend.read(p.value));
    return out;
  }

  /** Overwrites every parameter from flat arrays in getWeights() order; sizes are checked first. */
  setWeights(arrays: readonly ArrayLike<number>[]): void {
    if (arrays.length !== this.params.length) {
      throw new ShapeError(`setWeights: expected ${this.params.length} arrays (${this.params.map((p) => p.name).join(', ')}), got ${arrays.length}`);
    }
    this.params.forEach((p, i) => {
      if (arrays[i].length !== p.value.size) {
        const owner = this.owners[i];
        throw new ShapeError(
          `setWeights: ${p.name} of layer ${owner.index + 1} ${owner.layer.description} has shape ${formatShape(p.value.shape)} (${p.value.size} values), got ${arrays[i].length} values ${formatShape([arrays[i].length])}`,
        );
      }
    });
    this.params.forEach((p, i) => this.backend.write(p.value, arrays[i]));
  }

  /** Total number of trainable values. */
  parameterCount(): number {
    return this.params.reduce((s, p) => s + p.value.size, 0);
  }

  /** Releases every tensor of every layer (and the arena, when the model owns it). */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.ownedArena?.dispose();
  }

  /** Both models' arenas when they share one layout (then one op covers every parameter), else null. */
  private sharedLayout(other: Sequential): { mine: ParameterArena; theirs: ParameterArena } | null {
    const mine = this.arena;
    const theirs = other.arena;
    if (mine === null || theirs === null || mine.size !== theirs.size) return null;
    for (let i = 0; i < mine.offsets.length; i++) if (mine.offsets[i] !== theirs.offsets[i]) return null;
    return { mine, theirs };
  }

  private checkSameArchitecture(other: Sequential, op: string): void {
    const mine = this.params;
    const theirs = other.parameters();
    let mismatch = theirs.length !== mine.length;
    for (let i = 0; i < mine.length && !mismatch; i++) {
      mismatch = mine[i].value.rows !== theirs[i].value.rows || mine[i].value.cols !== theirs[i].value.cols;
    }
    if (mismatch) {
      const describe = (ps: readonly Parameter[]) => ps.map((p) => `${p.name} ${formatShape(p.value.shape)}`).join(', ');
      throw new ShapeError(`${op}: architectures differ: [${describe(this.params)}] vs [${describe(theirs)}]`);
    }
  }
}

export interface MlpOptions {
  /** Activation of every hidden layer (default 'relu'). */
  hidden?: Activation | string;
  /** Activation of the output layer (default 'identity'). */
  output?: Activation | string;
  /** Weight initialiser of every layer (default 'he_uniform'). */
  init?: Initializer | string;
  /** Source of the initial weights (layers drawn in order, W1 first). */
  rng: Rng;
  /** LeakyReLU slope (default 0.01). */
  alpha?: number;
  /**
   * Normalise every hidden layer (PQN's network): Dense (no activation), then LayerNorm with the
   * hidden activation fused (layerNormThen), with the LayerNorm's gamma and beta in the arena after
   * the Dense layer's W and b.
   * Default false.
   */
  layerNorm?: boolean;
}

/**
 * A multi-layer perceptron: sizes [in, h1, ..., out] give Dense layers in -> h1 -> ... -> out, with
 * every parameter in one ParameterArena.
 */
export function mlp(backend: Backend, sizes: readonly number[], options: MlpOptions): Sequential {
  if (sizes.length < 2) throw new InvalidArgumentError(`mlp: sizes needs at least [in, out], got [${sizes.join(', ')}]`);
  for (const size of sizes) if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`mlp: sizes must be positive integers, got [${sizes.join(', ')}]`);
  const layers: Layer[] = [];
  const shapes: Shape[] = [];
  const normed = options.layerNorm === true;
  for (let i = 0; i + 1 < sizes.length; i++) {
    shapes.push([sizes[i], sizes[i + 1]], [1, sizes[i + 1]]);
    if (normed && i + 2 < sizes.length) shapes.push([1, sizes[i + 1]], [1, sizes[i + 1]]);
  }
  const arena = new ParameterArena(backend, shapes, 'mlp');
  try {
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      const hidden = options.hidden ?? 'relu';
      layers.push(
        new Dense(backend, sizes[i], sizes[i + 1], {
          activation: last ? (options.output ?? 'identity') : normed ? 'identity' : hidden,
          init: options.init,
          rng: options.rng,
          alpha: options.alpha,
          parameters: arena,
        }),
      );
      // LayerNorm with the hidden activation fused into its ops (one op each way instead of two).
      if (normed && !last) layers.push(...layerNormThen(backend, sizes[i + 1], hidden, { parameters: arena, alpha: options.alpha }));
    }
  } catch (error) {
    for (const layer of layers) layer.dispose();
    arena.dispose();
    throw error;
  }
  return new Sequential(backend, layers, { arena });
}
