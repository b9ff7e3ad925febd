/** What every optimiser shares: a step over parameters, zeroGrad, and a snapshot for exact resume. */
import type { Backend, FloatArray, Tensor } from '../../backend/backend.js';
import { InvalidArgumentError, ShapeError, formatShape } from '../../errors.js';
import type { Parameter } from '../parameter.js';
import { arenaOf, zeroGrads, type ParameterArena } from '../parameter-arena.js';

/** Optimiser state: the update count and per-parameter slot tensors (Adam, RAdam: m, v; SGD: momentum). */
export interface OptimizerState {
  kind: 'adam' | 'radam' | 'sgd';
  /** Updates taken so far. */
  step: number;
  /** Per slot name, one flat array per parameter (in parameter order). */
  slots: Record<string, FloatArray[]>;
}

export interface Optimizer {
  /** Learning rate, may be changed between steps (schedules). */
  lr: number;
  /** Updates taken so far. */
  readonly stepCount: number;
  readonly params: readonly Parameter[];
  step(): void;
  zeroGrad(): void;
  getState(): Promise<OptimizerState>;
  setState(state: OptimizerState): void;
  dispose(): void;
}

/**
 * Shared bookkeeping: slot tensors shaped like each parameter, state snapshot and restore. When
 * the parameters are exactly one ParameterArena, each slot is one flat tensor laid out like the
 * arena (the per-parameter slots are views of it), so a step is one op over the whole network.
 */
export abstract class SlotOptimizer implements Optimizer {
  abstract lr: number;
  protected steps = 0;
  /** Per slot name, one tensor per parameter (views of `flatSlots` with an arena). */
  protected readonly slots: Record<string, Tensor[]> = {};
  /** The arena the parameters exactly fill, or null (then steps run parameter by parameter). */
  protected readonly arena: ParameterArena | null;
  /** Per slot name, the flat tensor laid out like the arena (empty without one). */
  protected readonly flatSlots: Record<string, Tensor> = {};

  protected constructor(
    protected readonly backend: Backend,
    readonly params: readonly Parameter[],
    private readonly kind: OptimizerState['kind'],
    slotNames: readonly string[],
  ) {
    if (params.length === 0) throw new InvalidArgumentError(`${kind}: no parameters to optimise`);
    const arena = arenaOf(params);
    this.arena = arena;
    for (const name of slotNames) {
      if (arena === null) {
        this.slots[name] = params.map((p) => backend.tensor(p.value.shape, undefined, `${kind}.${name}.${p.name}`));
        continue;
      }
      const flat = backend.tensor([arena.size], undefined, `${kind}.${name}`);
      this.flatSlots[name] = flat;
      this.slots[name] = params.map((p, i) => backend.view(flat, arena.offsets[i], p.value.shape, `${kind}.${name}.${p.name}`));
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  abstract step(): void;

  zeroGrad(): void {
    zeroGrads(this.backend, this.params, this.arena);
  }

  async getState(): Promise<OptimizerState> {
    const slots: Record<string, FloatArray[]> = {};
    for (const [name, tensors] of Object.entries(this.slots)) {
      slots[name] = [];
      for (const t of tensors) slots[name].push(await this.backend.read(t));
    }
    return { kind: this.kind, step: this.steps, slots };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new InvalidArgumentError(`${this.kind}: cannot restore a '${state.kind}' optimiser state`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new InvalidArgumentError(`${this.kind}: bad step count ${state.step}`);
    for (const [name, tensors] of Object.entries(this.slots)) {
      const arrays = state.slots[name];
      if (arrays === undefined || arrays.length !== tensors.length) {
        throw new ShapeError(`${this.kind}: state slot '${name}' needs ${tensors.length} arrays, got ${arrays?.length ?? 0}`);
      }
      tensors.forEach((t, i) => {
        if (arrays[i].length !== t.size) {
          throw new ShapeError(
            `${this.kind}: state slot '${name}' for ${this.params[i].name} ${formatShape(t.shape)} needs ${t.size} values, got ${arrays[i].length}`,
          );
        }
      });
    }
    for (const [name, tensors] of Object.entries(this.slots)) tensors.forEach((t, i) => this.backend.write(t, state.slots[name][i]));
    this.steps = state.step;
  }

  dispose(): void {
    for (const tensors of Object.values(this.slots)) for (const t of tensors) t.dispose();
    for (const flat of Object.values(this.flatSlots)) flat.dispose();
  }
}

export function checkNonNegative(kind: string, name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) throw new InvalidArgumentError(`${kind}: ${name} must be a finite number >= 0, got ${value}`);
}

export function checkUnitInterval(kind: string, name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new InvalidArgumentError(`${kind}: ${name} must be in [0, 1), got ${value}`);
}
