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
 * The stores cost nothing: every output of envStep and epsilonGreedy is a view of row t of a (T, N)
 * rollout tensor, written in place. That needs each row's offset to be a multiple of
 * VIEW_ALIGNMENT (64 elements), so N must be a multiple of 64 (checked).
 * Before the T steps of every rollout but the first:
 *   obs row T -> row 0     copy                                     (1 dispatch: the last rollout's end starts this one)
 * After the T steps:
 *   r *= rewardScale       scale                                    (1 dispatch, only when rewardScale != 1)
 *   Q(s'), G               net.forward of the T N final observations, qLambdaReturns
 *
 * The observations, actions, returns and episode statistics (each step's (2, N) rows: the return
 * and length of every episode that ended, 0 where none did) sit side by side in one arena.
 * `readEpisodes()` reads back only the statistics: PQN gathers its minibatches on the device from
 * `rows` (gatherRows), so a rollout costs one small read back. `read()` reads the whole arena, for a
 * caller that wants the rollout on the host (tests, or minibatches gathered there).
 *
 * The draw counter of epsilonGreedy is the run's vector step index (docs/device-envs.md), given by
 * the caller; the env state (S, N), with its reset counters, is the only other state: getState /
 * setState read and write it between rollouts.
 */
import { DEVICE_ENVS, DEVICE_ENV_SPECS, VIEW_ALIGNMENT, type Backend, type DeviceEnvKind, type FloatArray, type Tensor } from '../backend/backend.js';
import { initialEnvState } from '../backend/cpu/env-step.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';

/** The network the rollout acts with: anything whose forward maps (B, obsDim) to (B, nActions) on the backend. */
export interface DeviceRolloutNetwork {
  forward(x: Tensor): Tensor;
}

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

/** Why `env` / `numEnvs` cannot run on the device, or null when they can. */
export function deviceRolloutProblem(env: string, numEnvs: number): string | null {
  if (!(DEVICE_ENVS as readonly string[]).includes(env)) return `envs on the device support ${DEVICE_ENVS.join(', ')} only, not ${env}: use host envs for it`;
  if (numEnvs % VIEW_ALIGNMENT !== 0) return `envs on the device need a multiple of ${VIEW_ALIGNMENT} envs (each step's rows are views at aligned offsets), got ${numEnvs}`;
  return null;
}

/** The host copy of one rollout (views of one array read back at once), time-major: row t N + n is env n's step t. */
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

export class DeviceRollout {
  readonly env: DeviceEnvKind;
  readonly numEnvs: number;
  readonly numSteps: number;
  readonly obsDim: number;
  readonly nActions: number;
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
  private readonly episodes: Tensor;
  /** The rollout's T N rows on the device, time-major (row t N + n): what minibatches are gathered from. */
  readonly rows: { observations: Tensor; actions: Tensor; returns: Tensor };
  private readonly finalObs: Tensor;
  private readonly rewards: Tensor;
  private readonly terminated: Tensor;
  private readonly truncated: Tensor;
  private readonly owned: Tensor[];
  private readonly host: FloatArray;
  readonly data: DeviceRolloutData;
  /** True once a rollout is recorded: the next one starts by copying obs row T to row 0. */
  private shiftPending = false;

  constructor(
    readonly backend: Backend,
    readonly config: DeviceRolloutConfig,
  ) {
    const problem = deviceRolloutProblem(config.env, config.numEnvs);
    if (problem !== null) throw new InvalidArgumentError(problem);
    if (!Number.isInteger(config.numSteps) || config.numSteps < 1) throw new InvalidArgumentError(`device rollout: numSteps must be a positive integer, got ${config.numSteps}`);
    this.env = config.env as DeviceEnvKind;
    const spec = DEVICE_ENV_SPECS[this.env];
    const n = (this.numEnvs = config.numEnvs);
    const T = (this.numSteps = config.numSteps);
    const d = (this.obsDim = spec.obsDim);
    this.nActions = spec.actions;
    const b = backend;
    this.state = b.tensor([spec.stateRows, n], initialEnvState(this.env, config.seed, n, b.dtype).state, 'rollout.env_state');
    // The arena read back per rollout: obs (T + 1 rows: the last is the next rollout's first), actions, returns, episodes.
    const obsSize = (T + 1) * n * d;
    const offsets = { obs: 0, actions: obsSize, returns: obsSize + T * n, episodes: obsSize + 2 * T * n };
    const total = offsets.episodes + 2 * T * n;
    this.arena = b.tensor([total], undefined, 'rollout.arena');
    const rows = (base: Tensor, offset: number, stride: number, shape: [number, number], count: number) =>
      Array.from({ length: count }, (_, t) => b.view(base, offset + t * stride, shape));
    this.obsRows = rows(this.arena, offsets.obs, n * d, [n, d], T + 1);
    this.actionRows = rows(this.arena, offsets.actions, n, [n, 1], T);
    this.episodeRows = rows(this.arena, offsets.episodes, 2 * n, [2, n], T);
    this.observations = b.view(this.arena, offsets.obs, [T * n, d], 'rollout.s');
    this.returns = b.view(this.arena, offsets.returns, [T, n], 'rollout.G');
    this.episodes = b.view(this.arena, offsets.episodes, [T, 2 * n], 'rollout.episodes');
    this.rows = {
      observations: this.observations,
      actions: b.view(this.arena, offsets.actions, [T * n, 1], 'rollout.a'),
      returns: b.view(this.arena, offsets.returns, [T * n, 1], 'rollout.G_rows'),
    };
    this.finalObs = b.tensor([T * n, d], undefined, 'rollout.final_s');
    this.rewards = b.tensor([T, n], undefined, 'rollout.r');
    this.terminated = b.tensor([T, n], undefined, 'rollout.terminated');
    this.truncated = b.tensor([T, n], undefined, 'rollout.truncated');
    this.finalObsRows = rows(this.finalObs, 0, n * d, [n, d], T);
    this.rewardRows = rows(this.rewards, 0, n, [n, 1], T);
    this.terminatedRows = rows(this.terminated, 0, n, [n, 1], T);
    this.truncatedRows = rows(this.truncated, 0, n, [n, 1], T);
    this.owned = [this.state, this.arena, this.finalObs, this.rewards, this.terminated, this.truncated];
    this.writeFirstObservations(initialEnvState(this.env, config.seed, n, b.dtype).obs);
    this.host = b.dtype === 'float32' ? new Float32Array(total) : new Float64Array(total);
    const h = this.host;
    this.data = {
      observations: h.subarray(offsets.obs, offsets.obs + T * n * d),
      actions: h.subarray(offsets.actions, offsets.actions + T * n),
      returns: h.subarray(offsets.returns, offsets.returns + T * n),
      episodes: h.subarray(offsets.episodes, offsets.episodes + 2 * T * n),
    };
  }

  /**
   * Records one rollout: T vector steps acting with `net` at epsilons[t], the draw counter
   * firstCounter + t at step t, then the returns. Nothing is read back.
   */
  record(net: DeviceRolloutNetwork, epsilons: ArrayLike<number>, firstCounter: number): void {
    const { backend: b, numSteps: T, env } = this;
    const seed = this.config.seed;
    if (epsilons.length !== T) throw new ShapeError(`device rollout: ${T} epsilons needed (one per vector step), got ${epsilons.length}`);
    // The previous rollout's last observations start this one (copied only now: read() needed row 0).
    if (this.shiftPending) b.copy(this.obsRows[T], this.obsRows[0]);
    this.shiftPending = true;
    for (let t = 0; t < T; t++) {
      const q = net.forward(this.obsRows[t]);
      b.epsilonGreedy({ q, epsilon: epsilons[t], seed, counter: firstCounter + t, actions: this.actionRows[t] });
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
    if (this.config.rewardScale !== 1) b.scale(this.rewards, this.config.rewardScale, this.rewards);
    const nextQ = net.forward(this.finalObs);
    b.qLambdaReturns({ rewards: this.rewards, terminated: this.terminated, truncated: this.truncated, nextQ, gamma: this.config.gamma, lambda: this.config.qLambda, returns: this.returns });
  }

  /** The one read back of a recorded rollout: `data`'s arrays are filled and returned. */
  async read(): Promise<DeviceRolloutData> {
    await this.backend.read(this.arena, this.host);
    return this.data;
  }

  /** The one read back of a recorded rollout when its minibatches are gathered on the device: `data.episodes` is filled and returned. */
  async readEpisodes(): Promise<FloatArray> {
    await this.backend.read(this.episodes, this.data.episodes);
    return this.data.episodes;
  }

  /** The env state (S, N) as numbers: every env's physics, open episode and reset counter (one read back). */
  async getState(): Promise<number[]> {
    return Array.from(await this.backend.read(this.state));
  }

  /** Writes back a state from getState (the observations follow from it: the first obsDim rows). */
  setState(state: ArrayLike<number>): void {
    const spec = DEVICE_ENV_SPECS[this.env];
    const n = this.numEnvs;
    if (state.length !== spec.stateRows * n) throw new ShapeError(`device rollout: the env state needs ${spec.stateRows * n} values (${spec.stateRows} rows of ${n} envs), got ${state.length}`);
    this.backend.write(this.state, state);
    const obs = new Float64Array(n * this.obsDim);
    for (let i = 0; i < n; i++) for (let r = 0; r < this.obsDim; r++) obs[i * this.obsDim + r] = state[r * n + i];
    this.writeFirstObservations(obs);
    this.shiftPending = false;
  }

  private writeFirstObservations(obs: ArrayLike<number>): void {
    this.backend.write(this.obsRows[0], obs);
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
  }
}
