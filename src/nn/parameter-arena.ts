/**
 * One parameter arena per network: every weight and bias of the network lives in one flat tensor
 * of values and one of gradients, and each Parameter is a pair of views into them. An op over a
 * whole network (the Adam step, clipping, the soft or hard target update, zeroing) is then one op
 * over the flat tensors, instead of one per parameter: one kernel call on the CPU, one dispatch
 * on WebGPU.
 *
 * Each parameter starts at a multiple of VIEW_ALIGNMENT elements; the gaps are zero and stay zero
 * under every op applied to the whole arena (Adam, SGD, lerp, copy, scaling and sums of squares
 * all map zeros to zeros).
 */
import { VIEW_ALIGNMENT, type Backend, type Shape, type Tensor } from '../backend/backend.js';
import { shapeSize } from '../backend/device-tensor.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../errors.js';
import type { Parameter } from './parameter.js';

/** Where layers get their parameters: from an arena, or allocated on their own. */
export interface ParameterSource {
  /** The next parameter, of `shape` (its value zero until the layer initialises it). */
  take(name: string, shape: Shape): Parameter;
}

/** The offsets (elements) of shapes laid out one after another at aligned offsets, and the total size. */
export function arenaLayout(shapes: readonly Shape[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let size = 0;
  for (const shape of shapes) {
    offsets.push(size);
    size += Math.ceil(shapeSize(shape) / VIEW_ALIGNMENT) * VIEW_ALIGNMENT;
  }
  return { offsets, size: Math.max(size, VIEW_ALIGNMENT) };
}

export class ParameterArena implements ParameterSource {
  /** Every parameter value, flat (gaps included). */
  readonly values: Tensor;
  /** Every parameter gradient, flat, laid out as `values`. */
  readonly grads: Tensor;
  /** The element offset of each planned parameter. */
  readonly offsets: readonly number[];
  private readonly shapes: readonly Shape[];
  private readonly taken: Parameter[] = [];

  /** Plans the parameters of `shapes`, in the order layers will take them. */
  constructor(
    private readonly backend: Backend,
    shapes: readonly Shape[],
    readonly label = 'params',
  ) {
    if (shapes.length === 0) throw new InvalidArgumentError('ParameterArena: no parameters planned');
    this.shapes = shapes.map((s) => (s.length === 1 ? [s[0]] : [s[0], s[1]]) as Shape);
    const { offsets, size } = arenaLayout(this.shapes);
    this.offsets = offsets;
    this.values = backend.tensor([size], undefined, `${label}.values`);
    this.grads = backend.tensor([size], undefined, `${label}.grads`);
  }

  /** Elements of each flat tensor (gaps included). */
  get size(): number {
    return this.values.size;
  }

  /** The parameters taken so far, in order. */
  get parameters(): readonly Parameter[] {
    return this.taken;
  }

  /** Whether every planned parameter was taken. */
  get complete(): boolean {
    return this.taken.length === this.shapes.length;
  }

  take(name: string, shape: Shape): Parameter {
    const i = this.taken.length;
    const planned = this.shapes[i];
    if (planned === undefined) throw new ShapeError(`${this.label}: ${name} ${formatShape(shape)} asked for beyond the ${this.shapes.length} planned parameters`);
    const rows = shape.length === 1 ? 1 : shape[0];
    const cols = shape.length === 1 ? shape[0] : shape[1];
    const plannedRows = planned.length === 1 ? 1 : planned[0];
    const plannedCols = planned.length === 1 ? planned[0] : planned[1];
    if (rows !== plannedRows || cols !== plannedCols) {
      throw new ShapeError(`${this.label}: parameter ${i + 1} (${name}) is ${formatShape(shape)}, but ${formatShape(planned)} was planned`);
    }
    const offset = this.offsets[i];
    const parameter: Parameter = {
      name,
      value: this.backend.view(this.values, offset, shape, `${this.label}.${name}`),
      grad: this.backend.view(this.grads, offset, shape, `${this.label}.d${name}`),
      arena: this,
    };
    this.taken.push(parameter);
    return parameter;
  }

  /** The index of the parameter whose value is `value`, or -1. */
  indexOf(value: Tensor): number {
    return this.taken.findIndex((p) => p.value === value);
  }

  /** Disposes both flat tensors (and with them every view). */
  dispose(): void {
    this.values.dispose();
    this.grads.dispose();
  }
}

/**
 * The arena that `params` exactly cover (every parameter of one complete arena, each once, in the
 * arena's order), or null: then whole-network ops must run parameter by parameter.
 */
export function arenaOf(params: readonly Parameter[]): ParameterArena | null {
  const arena = params[0]?.arena ?? null;
  if (arena === null || !arena.complete || arena.parameters.length !== params.length) return null;
  for (let i = 0; i < params.length; i++) if (params[i].value !== arena.parameters[i].value) return null;
  return arena;
}

/**
 * Sets every gradient of `params` to zero: one fill over the arena they exactly cover (`arena`, as
 * arenaOf(params) gives it), else one fill per parameter. A model's and an optimiser's zeroGrad.
 */
export function zeroGrads(backend: Backend, params: readonly Parameter[], arena: ParameterArena | null): void {
  if (arena !== null) {
    backend.fill(arena.grads, 0);
    return;
  }
  for (let i = 0; i < params.length; i++) backend.fill(params[i].grad, 0);
}

/** A parameter with tensors of its own (a layer built without an arena). */
export function ownParameter(backend: Backend, name: string, shape: Shape): Parameter {
  return { name, value: backend.tensor(shape, undefined, name), grad: backend.tensor(shape, undefined, `d${name}`) };
}

/** Disposes the tensors of parameters a layer allocated itself (ownParameter); a layer's dispose, without an arena. */
export function disposeOwnParameters(params: readonly Parameter[]): void {
  for (const p of params) {
    p.value.dispose();
    p.grad.dispose();
  }
}
