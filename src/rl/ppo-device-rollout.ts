/**
 * PPO's rollout on the device (envOn 'device'): a DeviceRollout (device-rollout.ts) acting through
 * the actor and policySample, then the critic's values and GAE, all recorded with no read back:
 *
 *   per vector step t:  the actor's forward of obs row t, policySample -> actions row t and the
 *                       log-probabilities row t (drawn from each env's Philox stream `act` with the
 *                       run's vector step as the counter, as the host rollout draws), envStep
 *   after the T steps:  V(s) of the T Np observation rows and V(s') of the final observations (the
 *                       critic's two passes, each copied out), gaeAdvantages over (T, Np)
 *
 * Rows are padded to Np = N rounded up to 64 per step (device-rollout-layout.ts): minibatches are
 * gathered at the padded rows (paddedRows), so the padding is never trained on. What comes back is
 * one read per rollout: the episode statistics with the loss statistics of the updates that
 * followed (readEpisodes).
 */
import type { Backend, FloatArray, Tensor } from '../backend/backend.js';
import { DeviceRollout } from './device-rollout.js';
import type { PpoAgent, PpoRolloutTensors } from './ppo-agent.js';

export interface PpoDeviceRolloutConfig {
  env: string;
  numEnvs: number;
  numSteps: number;
  seed: number;
  gamma: number;
  gaeLambda: number;
}

export class PpoDeviceRollout {
  readonly rollout: DeviceRollout;
  /** The rollout's T Np padded rows, as minibatches are gathered from them. */
  readonly tensors: PpoRolloutTensors;
  /** Step t's (N, 1) log-probabilities, written by policySample. */
  private readonly logProbRows: Tensor[];
  /** (T, Np) views of the (T Np, 1) columns GAE reads and writes. */
  private readonly grid: { values: Tensor; nextValues: Tensor; advantages: Tensor; returns: Tensor };
  private readonly owned: Tensor[];

  constructor(
    private readonly backend: Backend,
    private readonly config: PpoDeviceRolloutConfig,
  ) {
    // The DeviceRollout's own returns (PQN's Q(lambda)) are not used: GAE's are PPO's.
    this.rollout = new DeviceRollout(backend, { env: config.env, numEnvs: config.numEnvs, numSteps: config.numSteps, seed: config.seed, gamma: config.gamma, qLambda: 0, rewardScale: 1 });
    const T = config.numSteps;
    const np = this.rollout.layout.paddedEnvs;
    const rows = T * np;
    const column = (name: string): Tensor => backend.tensor([rows, 1], undefined, `ppo.device.${name}`);
    const logProb = backend.tensor([T, np], undefined, 'ppo.device.logp');
    const values = column('v');
    const nextValues = column('next_v');
    const advantages = column('adv');
    const returns = column('ret');
    this.owned = [logProb, values, nextValues, advantages, returns];
    this.logProbRows = this.rollout.stepColumns(logProb);
    const grid = (x: Tensor): Tensor => backend.view(x, 0, [T, np]);
    this.grid = { values: grid(values), nextValues: grid(nextValues), advantages: grid(advantages), returns: grid(returns) };
    const { observations, actions } = this.rollout.rows;
    this.tensors = { observations, actions, logProb: backend.view(logProb, 0, [rows, 1]), advantages, returns, values };
  }

  /** Records one rollout acting with `agent`, the draw counter firstCounter + t at step t, then its values and GAE. Nothing is read back. */
  record(agent: PpoAgent, firstCounter: number): void {
    const b = this.backend;
    const { seed, gamma, gaeLambda } = this.config;
    const logStd = agent.logStd?.value ?? null;
    this.rollout.recordSteps((obs, actions, counter, t) => {
      b.policySample({ head: agent.head, out: agent.actor.forward(obs), logStd, seed, counter, actions, logProb: this.logProbRows[t] });
    }, firstCounter);
    const { finalObservations, rewards, terminated, truncated } = this.rollout.steps;
    // Both passes have T Np rows and so share the critic's output buffer: each is copied out.
    b.copy(agent.critic.forward(this.tensors.observations), this.tensors.values);
    b.copy(agent.critic.forward(finalObservations), this.grid.nextValues);
    b.gaeAdvantages({ rewards, values: this.grid.values, nextValues: this.grid.nextValues, terminated, truncated, gamma, lambda: gaeLambda, advantages: this.grid.advantages, returns: this.grid.returns });
  }

  /** The rollout's one read back: its episode statistics (T, 2, N) and `stats` (recorded after it: the updates' loss statistics), in one range. */
  readEpisodes(stats: Tensor): Promise<{ episodes: FloatArray; values: FloatArray }> {
    return this.rollout.readEpisodesWith(stats);
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.rollout.dispose();
  }
}
