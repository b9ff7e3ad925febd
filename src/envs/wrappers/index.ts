/** Env wrappers that compose: TimeLimit, RecordEpisodeStatistics, RewardShaping. */
export { Wrapper } from './wrapper.js';
export { TimeLimit } from './time-limit.js';
export { RecordEpisodeStatistics, type EpisodeStatistics } from './record-episode-statistics.js';
export { RewardShaping, REWARD_SHAPINGS, rewardShapingByName, type RewardShapingFn, type RewardShapingName } from './reward-shaping.js';
