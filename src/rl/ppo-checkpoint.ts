/**
 * A PpoTrainer snapshot (PpoState) as a checkpoint file: rollout-checkpoint.ts's format and checks
 * (weights, Adam's moments, the best weights, the JSON of the config, counters, generators and open
 * episodes: Box actions as their values), with PPO's config schema and presets, its actor, critic
 * and log-std shapes, and its normalisation statistics (under the metadata's `extra.normalizer`,
 * checked against the config and the env's sizes). Browser-safe.
 */
import type { PolicyHead } from '../backend/policy-ops.js';
import { envSizes, type EnvSizes } from '../envs/registry.js';
import type { Json } from './checkpoint-fields.js';
import { ppoPolicyShapes, ppoWeightShapes } from './ppo-agent.js';
import { PPO_CONFIG, PPO_PRESET_NAMES, type PpoConfig } from './ppo-config.js';
import { PPO_STATE_VERSION, type PpoState } from './ppo-trainer.js';
import { deviceEnvCheckpointParts, rolloutCheckpointCodec } from './rollout-checkpoint.js';
import type { RolloutNormalizerState } from './rollout-normalizer.js';

/** The `kind` a PPO checkpoint's metadata carries. */
export const PPO_CHECKPOINT_KIND = 'ppo-trainer';

/** The policy head of an env of these sizes: categorical over Discrete actions, Gaussian over a Box. */
const headOf = (dims: EnvSizes): PolicyHead => (dims.box === null ? 'categorical' : 'gaussian');

/** A running statistic of `size` elements as a checkpoint holds it, or why not. */
function statisticsProblem(value: unknown, size: number): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be an object with mean, var and count';
  const v = value as Json;
  const list = (x: unknown, ok: (n: number) => boolean) => Array.isArray(x) && x.length === size && x.every((n) => typeof n === 'number' && ok(n));
  if (!list(v.mean, Number.isFinite)) return `must have 'mean': ${size} finite numbers`;
  if (!list(v.var, (n) => Number.isFinite(n) && n >= 0)) return `must have 'var': ${size} finite numbers >= 0`;
  if (typeof v.count !== 'number' || !Number.isFinite(v.count) || !(v.count > 0)) return "must have 'count': a finite number > 0";
  return null;
}

export const PPO_CHECKPOINT = rolloutCheckpointCodec<PpoConfig, 'ppo', PpoState>({
  kind: PPO_CHECKPOINT_KIND,
  version: PPO_STATE_VERSION,
  algorithm: 'ppo',
  title: 'PPO',
  config: PPO_CONFIG,
  presetNames: PPO_PRESET_NAMES,
  optimizer: 'adam',
  anyActionSpace: true,
  weightShapes: (config, dims) => ppoWeightShapes(dims.obsDim, dims.nActions, config.hidden, headOf(dims)),
  policyShapes: (config, dims) => ppoPolicyShapes(dims.obsDim, dims.nActions, config.hidden, headOf(dims), config.normalizeObservation),
  ...deviceEnvCheckpointParts<PpoConfig, 'ppo', PpoState>(),
  extraMeta: {
    encode: (state) => ({ normalizer: state.normalizer as unknown as Json[string] }),
    decode: (extra, config, fields) => {
      const n = extra.normalizer as Json | null | undefined;
      if (n === null || typeof n !== 'object' || Array.isArray(n)) return fields.bad('extra.normalizer', 'must be an object with obs and reward');
      const obsDim = envSizes(config.env).obsDim;
      if (config.normalizeObservation !== (n.obs !== null)) fields.bad('extra.normalizer.obs', `must be ${config.normalizeObservation ? 'the observation statistics' : 'null'} (config.normalizeObservation ${config.normalizeObservation})`);
      if (n.obs !== null) {
        const problem = statisticsProblem(n.obs, obsDim);
        if (problem !== null) fields.bad('extra.normalizer.obs', problem);
      }
      if (config.normalizeReward !== (n.reward !== null)) fields.bad('extra.normalizer.reward', `must be ${config.normalizeReward ? 'the return statistics' : 'null'} (config.normalizeReward ${config.normalizeReward})`);
      if (n.reward !== null) {
        const problem = statisticsProblem(n.reward, 1);
        if (problem !== null) fields.bad('extra.normalizer.reward', problem);
        const returns = (n.reward as Json).returns;
        if (!Array.isArray(returns) || returns.length !== config.numEnvs || !returns.every((r) => typeof r === 'number' && Number.isFinite(r))) {
          fields.bad('extra.normalizer.reward.returns', `must be ${config.numEnvs} finite discounted returns (one per env)`);
        }
      }
      return { normalizer: n as unknown as RolloutNormalizerState };
    },
  },
});
