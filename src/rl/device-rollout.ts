/**
 * A rollout of N device envs (the backend's envStep) acting on a Q-network on the device (its
 * epsilonGreedy), recorded without any read back: what PQN's `envOn: 'device'` runs, and what PPO's
 * rollouts can reuse (a policy's sampling op in place of epsilonGreedy, the same stores).
 *
 * Per vector step t, four things are recorded and nothing is read:
 *   Q(s_t)                 net.forward(obs row t)                 (the network's dispatches)
 *   a_t                    epsilonGreedy -> actions row t           (1 dispatch)
 *   s_{t+1}, r_t, flags    envStep -> obs row t + 1, finalObs row t, rewards, terminated,
 *                          truncated and episodes rows t          (1 dispatch)
 * The stores cost nothing: every output of envStep and epsilonGreedy is a view of step t's block of
 * a rollout tensor, written in place. A view's offset must be a multiple of VIEW_ALIGNMENT (64
 * elements), so each step's block holds Np = N rounded up to 64 columns, of which the ops see N
 * (device-rollout-layout.ts: the layout, with why its padding is harmless); any N runs.
 * Before the T steps of every rollout but the first:
 *   obs row T -> row 0     copy                                     (1 dispatch: the last rollout's end starts this one)
 * After the T steps:
 *   r *= rewardScale       scale                                    (1 dispatch, only when rewardScale != 1)
 *   Q(s'), G               net.forward of the T N final observations, qLambdaReturns
 *
 * The observations, actions, returns and episode statistics (each step's (2, N) rows: the return
 * and length of every episode that ended, 0 where none did) sit side by side in one arena.
 * `readEpisodes(scalar)` reads back only the statistics (and one scalar beside them): PQN gathers its minibatches on the device from
 * `rows` (gatherRows, at the padded rows of `layout`: paddedRows), so a rollout costs one small read
 * back. `read()` reads the whole arena, for a caller that wants the rollout on the host (tests, or
 * minibatches gathered there). Both return the N envs' values without the padding.
 *
 * The draw counter of epsilonGreedy is the run's vector step index (docs/device-envs.md), given by
 * the caller; the env state (S, N), with its reset counters, is the only other state: getState /
 * setState read and write it between rollouts.
 */
import { DEVICE_ENVS, DEVICE_ENV_SPECS, type Backend, type DeviceEnvKind, type FloatArray, type Tensor } from '../backend/backend.js';
import { initialEnvState, observationsOf } from '../backend/cpu/env-step.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { deviceRolloutLayout, unpadBlocks, type DeviceRolloutLayout, type RolloutBlocks } from './device-rollout-layout.js';
import { envSource, isRegisteredEnv } from '../envs/registry.js';

/** The network the rollout acts with: anything whose forward maps (B, obsDim) to (B, nActions) on the backend. */
export interface DeviceRolloutNetwork {
  forward(x: Tensor): Tensor;
}

/**
 * How a rollout acts at vector step t: records on the backend the N actions (exact integers) for
 * the observations `obs` (N, obsDim) into `actions` (N, 1), drawing with `counter` (PQN:
 * epsilonGreedy on Q; PPO: policySample on the actor's logits, its log-probabilities stored too).
 */
export type DeviceActing = (obs: Tensor, actions: Tensor, counter: number, t: number) => void;

export interface DeviceRolloutConfig {
  env: string;
  numEnvs: number;
  /** T: vector steps per rollout. */
  numSteps: number;
  /** The run's seed: the key of every env's Philox streams. */
  seed: number;
  gamma: number;
  qLambda: number;
  rewardScale: number;
}

/** Why `env` cannot run on the device (it has no envStep kernel), or null when it can. */
export function deviceRolloutProblem(env: string): string | null {
  const source = isRegisteredEnv(env) ? envSource(env) : null;
  if (source !== null) return `${env} is a custom env (from '${source}'): custom envs step on the host only (the device envs are WGSL kernels of the built-in ${DEVICE_ENVS.join(', ')}); use --env-on host, or auto, which picks host for it`;
  if (!(DEVICE_ENVS as readonly string[]).includes(env)) return `envs on the device support ${DEVICE_ENVS.join(', ')} only, not ${env}: use host envs for it`;
  return null;
}

/**
 * Where a run's training envs step: the host's Gymnasium-exact envs, batched float32 kernels on the
 * backend (docs/device-envs.md), or 'auto': settled for the backend when the run starts
 * (resolveEnvOn).
 */
export const ENV_ON = ['auto', 'host', 'device'] as const;
export type EnvOn = (typeof ENV_ON)[number];
/** Where a run's envs step once settled: what its checkpoints, config.json and banner record (never 'auto'). */
export type SettledEnvOn = Exclude<EnvOn, 'auto'>;

/**
 * The one rule for `envOn: 'auto'`: 'device' on a WebGPU backend for an env with a device kernel
 * (deviceRolloutProblem: DEVICE_ENVS), where the loop's read backs are what costs; else 'host' (on
 * the CPU backend the host loop is as fast and Gymnasium-exact). 'host' and 'device' stay as given.
 */
export function resolveEnvOn(envOn: EnvOn, env: string, backend: string): SettledEnvOn {
  if (envOn !== 'auto') return envOn;
  return backend === 'webgpu' && deviceRolloutProblem(env) === null ? 'device' : 'host';
}

/** The host copy of one rollout without the padding, time-major: row t N + n is env n's step t. */
export interface DeviceRolloutData {
  /** (T N, obsDim) the observations the actions were taken in. */
  observations: FloatArray;
  /** T N actions. */
  actions: FloatArray;
  /** T N Q(lambda) returns. */
  returns: FloatArray;
  /** (T, 2, N): per step, row 0 the return and row 1 the length of each episode that ended there (0, 0 where none did). */
  episodes: FloatArray;
}

/**
 * The episodes a rollout's statistics (T, 2, N: per step the return and length of each episode
 * that ended there) say ended, in the order a host rollout reports them: step by step (`atStep(t)`
 * first, where a trainer sets its step count), then env by env (`ended(return, length)`).
 */
export async function forEachEndedEpisode(episodes: ArrayLike<number>, numEnvs: number, numSteps: number, atStep: (t: number) => void, ended: (episodeReturn: number, length: number) => Promise<void>): Promise<void> {
  const n = numEnvs;
  for (let t = 0; t < numSteps; t++) {
    atStep(t);
    const row = 2 * n * t;
    for (let i = 0; i < n; i++) {
      const length = episodes[row + n + i];
      if (length > 0) await ended(episodes[row + i], length);
    }
  }
}

export class DeviceRollout {
  readonly env: DeviceEnvKind;
  readonly numEnvs: number;
  readonly numSteps: number;
  readonly obsDim: number;
  readonly nActions: number;
  /** Where each step's values sit in the rollout tensors (padded to aligned blocks). */
  readonly layout: DeviceRolloutLayout;
  /** (S, N): the envs' state, their episodes so far and their reset counters. */
  readonly state: Tensor;
  private readonly arena: Tensor;
  private readonly obsRows: Tensor[];
  private readonly actionRows: Tensor[];
  private readonly episodeRows: Tensor[];
  private readonly finalObsRows: Tensor[];
  private readonly rewardRows: Tensor[];
  private readonly terminatedRows: Tensor[];
  private readonly truncatedRows: Tensor[];
  private readonly observations: Tensor;
  private readonly returns: Tensor;
  private readonly episodesAndTail: Tensor;
  /** Views of the tail's first values, by size (readEpisodesWith). */
  private readonly tailViews = new Map<number, Tensor>();
  /** The rollout's T Np rows on the device, time-major (env n's step t at row t Np + n: layout's paddedRow): what minibatches are gathered from. */
  readonly rows: { observations: Tensor; actions: Tensor; returns: Tensor };
  private readonly finalObs: Tensor;
  private readonly rewards: Tensor;
  private readonly terminated: Tensor;
  private readonly truncated: Tensor;
  private readonly owned: Tensor[];
  /** The arena's host copy, padded as on the device. */
  private readonly host: FloatArray;
  /** The rollout without the padding (filled by read and readEpisodes). */
  readonly data: DeviceRolloutData;
  /** True once a rollout is recorded: the next one starts by copying obs row T to row 0. */
  private shiftPending = false;

  constructor(
    readonly backend: Backend,
    readonly config: DeviceRolloutConfig,
  ) {
    const problem = deviceRolloutProblem(config.env);
    if (problem !== null) throw new InvalidArgumentError(problem);
    if (!Number.isInteger(config.numEnvs) || config.numEnvs < 1) throw new InvalidArgumentError(`device rollout: numEnvs must be a positive integer, got ${config.numEnvs}`);
    if (!Number.isInteger(config.numSteps) || config.numSteps < 1) throw new InvalidArgumentError(`device rollout: numSteps must be a positive integer, got ${config.numSteps}`);
    this.env = config.env as DeviceEnvKind;
    const spec = DEVICE_ENV_SPECS[this.env];
    const n = (this.numEnvs = config.numEnvs);
    const T = (this.numSteps = config.numSteps);
    const d = (this.obsDim = spec.obsDim);
    this.nActions = spec.actions;
    const layout = (this.layout = deviceRolloutLayout(n, T, d));
    const np = layout.paddedEnvs;
    const b = backend;
    this.state = b.tensor([spec.stateRows, n], initialEnvState(this.env, config.seed, n, b.dtype).state, 'rollout.env_state');
    // The arena read back per rollout: obs (T + 1 blocks: the last is the next rollout's first), actions, returns, episodes.
    const { observations: obsBlocks, actions: actionBlocks, returns: returnBlocks, episodes: episodeBlocks } = layout.arena;
    this.arena = b.tensor([layout.arena.size], undefined, 'rollout.arena');
    // Step t's view: N envs' values at the start of block t.
    const steps = (base: Tensor, blocks: RolloutBlocks, shape: [number, number]) => Array.from({ length: blocks.count }, (_, t) => b.view(base, blocks.offset + t * blocks.stride, shape));
    this.obsRows = steps(this.arena, obsBlocks, [n, d]);
    this.actionRows = steps(this.arena, actionBlocks, [n, 1]);
    this.episodeRows = steps(this.arena, episodeBlocks, [2, n]);
    this.observations = b.view(this.arena, obsBlocks.offset, [T * np, d], 'rollout.s');
    this.returns = b.view(this.arena, returnBlocks.offset, [T, np], 'rollout.G');
    const tail = layout.arena.tail;
    // The tail, where readEpisodesWith copies values so that they come back with the statistics: one range, one read.
    this.tailViews.set(1, b.view(this.arena, tail.offset, [1, 1], 'rollout.tail'));
    this.episodesAndTail = b.view(this.arena, episodeBlocks.offset, [tail.offset + tail.size - episodeBlocks.offset], 'rollout.episodes_tail');
    this.rows = {
      observations: this.observations,
      actions: b.view(this.arena, actionBlocks.offset, [T * np, 1], 'rollout.a'),
      returns: b.view(this.arena, returnBlocks.offset, [T * np, 1], 'rollout.G_rows'),
    };
    this.finalObs = b.tensor([T * np, d], undefined, 'rollout.final_s');
    this.rewards = b.tensor([T, np], undefined, 'rollout.r');
    this.terminated = b.tensor([T, np], undefined, 'rollout.terminated');
    this.truncated = b.tensor([T, np], undefined, 'rollout.truncated');
    const { finalObservations, scalars } = layout.side;
    this.finalObsRows = steps(this.finalObs, finalObservations, [n, d]);
    this.rewardRows = steps(this.rewards, scalars, [n, 1]);
    this.terminatedRows = steps(this.terminated, scalars, [n, 1]);
    this.truncatedRows = steps(this.truncated, scalars, [n, 1]);
    this.owned = [this.state, this.arena, this.finalObs, this.rewards, this.terminated, this.truncated];
    this.writeFirstObservations(initialEnvState(this.env, config.seed, n, b.dtype).obs);
    const floats = (size: number) => (b.dtype === 'float32' ? new Float32Array(size) : new Float64Array(size));
    this.host = floats(layout.arena.size);
    this.data = { observations: floats(T * n * d), actions: floats(T * n), returns: floats(T * n), episodes: floats(2 * T * n) };
  }

  /**
   * Records one rollout: T vector steps acting with `net` at epsilons[t], the draw counter
   * firstCounter + t at step t, then the returns. Nothing is read back.
   */
  record(net: DeviceRolloutNetwork, epsilons: ArrayLike<number>, firstCounter: number): void {
    const { backend: b, numSteps: T } = this;
    const seed = this.config.seed;
    if (epsilons.length !== T) throw new ShapeError(`device rollout: ${T} epsilons needed (one per vector step), got ${epsilons.length}`);
    this.recordSteps((obs, actions, counter, t) => b.epsilonGreedy({ q: net.forward(obs), epsilon: epsilons[t], seed, counter, actions }), firstCounter);
    if (this.config.rewardScale !== 1) b.scale(this.rewards, this.config.rewardScale, this.rewards);
    const nextQ = net.forward(this.finalObs);
    b.qLambdaReturns({ rewards: this.rewards, terminated: this.terminated, truncated: this.truncated, nextQ, gamma: this.config.gamma, lambda: this.config.qLambda, returns: this.returns });
  }

  /**
   * Records the T vector steps of one rollout, acting by `act` with the draw counter
   * firstCounter + t at step t, and nothing after them (what follows is the algorithm's: PQN's
   * returns in `record`, PPO's values and GAE over `steps`). Nothing is read back.
   */
  recordSteps(act: DeviceActing, firstCounter: number): void {
    const { backend: b, numSteps: T, env } = this;
    const seed = this.config.seed;
    // The previous rollout's last observations start this one (copied only now: read() needed row 0).
    if (this.shiftPending) b.copy(this.obsRows[T], this.obsRows[0]);
    this.shiftPending = true;
    for (let t = 0; t < T; t++) {
      act(this.obsRows[t], this.actionRows[t], firstCounter + t, t);
      b.envStep({
        env,
        seed,
        state: this.state,
        actions: this.actionRows[t],
        obs: this.obsRows[t + 1],
        finalObs: this.finalObsRows[t],
        rewards: this.rewardRows[t],
        terminated: this.terminatedRows[t],
        truncated: this.truncatedRows[t],
        episodes: this.episodeRows[t],
      });
    }
  }

  /** A rollout's step data beyond the arena: T Np final observations and the (T, Np) rewards and flags (padded columns hold zeros). */
  get steps(): { finalObservations: Tensor; rewards: Tensor; terminated: Tensor; truncated: Tensor } {
    return { finalObservations: this.finalObs, rewards: this.rewards, terminated: this.terminated, truncated: this.truncated };
  }

  /** Step t's (N, 1) view of a (T, Np) tensor laid out as the rewards (a caller's per-step values: PPO's log-probabilities). */
  stepColumns(base: Tensor): Tensor[] {
    const scalars = this.layout.side.scalars;
    return Array.from({ length: scalars.count }, (_, t) => this.backend.view(base, scalars.offset + t * scalars.stride, [this.numEnvs, 1]));
  }

  /** The one read back of a recorded rollout: `data`'s arrays are filled and returned. */
  async read(): Promise<DeviceRolloutData> {
    await this.backend.read(this.arena, this.host);
    const { arena } = this.layout;
    // The observations the actions were taken in: the first T of the T + 1 blocks.
    unpadBlocks(arena.observations, this.host, this.data.observations, this.numSteps);
    unpadBlocks(arena.actions, this.host, this.data.actions);
    unpadBlocks(arena.returns, this.host, this.data.returns);
    unpadBlocks(arena.episodes, this.host, this.data.episodes);
    return this.data;
  }

  /**
   * The one read back of a recorded rollout when its minibatches are gathered on the device: the
   * episode statistics (`data.episodes`, filled) and `scalar`, a one-value tensor recorded after the
   * rollout (PQN: the loss of the updates that followed it), copied beside the statistics so both
   * come back in one range.
   */
  async readEpisodes(scalar: Tensor): Promise<{ episodes: FloatArray; scalar: number }> {
    const { episodes, values } = await this.readEpisodesWith(scalar);
    return { episodes, scalar: values[0] };
  }

  /**
   * readEpisodes with up to the tail's size (64) values recorded after the rollout (PPO: its loss
   * statistics), copied beside the episode statistics: one range, one read. The values are a view
   * of the host copy, overwritten by the next read.
   */
  async readEpisodesWith(values: Tensor): Promise<{ episodes: FloatArray; values: FloatArray }> {
    const { episodes: blocks, tail } = this.layout.arena;
    if (values.size > tail.size) throw new ShapeError(`device rollout: at most ${tail.size} values come back with the episode statistics, got ${values.size}`);
    let target = this.tailViews.get(values.size);
    if (target === undefined) this.tailViews.set(values.size, (target = this.backend.view(this.arena, tail.offset, [1, values.size], 'rollout.tail_values')));
    this.backend.copy(values, target);
    await this.backend.read(this.episodesAndTail, this.host.subarray(blocks.offset, tail.offset + tail.size));
    unpadBlocks(blocks, this.host, this.data.episodes);
    return { episodes: this.data.episodes, values: this.host.subarray(tail.offset, tail.offset + values.size) };
  }

  /** The env state (S, N) as numbers: every env's physics, open episode and reset counter (one read back). */
  async getState(): Promise<number[]> {
    return Array.from(await this.backend.read(this.state));
  }

  /** Writes back a state from getState (the observations follow from it: observationsOf, as envStep computes them). */
  setState(state: ArrayLike<number>): void {
    const spec = DEVICE_ENV_SPECS[this.env];
    const n = this.numEnvs;
    if (state.length !== spec.stateRows * n) throw new ShapeError(`device rollout: the env state needs ${spec.stateRows * n} values (${spec.stateRows} rows of ${n} envs), got ${state.length}`);
    this.backend.write(this.state, state);
    this.writeFirstObservations(observationsOf(this.env, state, n, this.backend.dtype));
    this.shiftPending = false;
  }

  private writeFirstObservations(obs: ArrayLike<number>): void {
    this.backend.write(this.obsRows[0], obs);
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
  }
}
