/**
 * Env wrappers that compose: TimeLimit, RecordEpisodeStatistics, RewardShaping; Gymnasium's
 * ClipAction and RescaleAction (Box actions), NormalizeObservation and NormalizeReward with their
 * RunningMeanStd, and vector versions of the two normalisers sharing one set of statistics.
 */
export { Wrapper } from './wrapper.js';
export { TimeLimit } from './time-limit.js';
export { SeededResets } from './seeded-resets.js';
export { RecordEpisodeStatistics, type EpisodeStatistics } from './record-episode-statistics.js';
export { RewardShaping, REWARD_SHAPINGS, rewardShapingByName, type RewardShapingFn, type RewardShapingName } from './reward-shaping.js';
export { ClipAction, RescaleAction, BoxActionWrapper } from './box-action-wrappers.js';
export { NormalizeObservation, unboundedBox } from './normalize-observation.js';
export { NormalizeReward, type NormalizeRewardState } from './normalize-reward.js';
export { RunningMeanStd, normalizeWith, type RunningMeanStdDtype, type RunningMeanStdState } from './running-mean-std.js';
export { VectorWrapper } from './vector-wrapper.js';
export { VectorNormalizeObservation } from './vector-normalize-observation.js';
export { VectorNormalizeReward } from './vector-normalize-reward.js';
