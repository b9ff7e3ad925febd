/**
 * Gymnasium-exact classic-control environments: CartPole-v1 (and its pole-down variant),
 * Acrobot-v1, MountainCar-v0; spaces, wrappers, the registry with `make`, a vector env and
 * software renderers.
 */
export type { Info, StepResult, ResetResult, ResetOptions, StepRecord, RenderMode, RgbFrame } from './types.js';
export { newStepRecord } from './types.js';
export { Box, Discrete } from './spaces.js';
export { Env, ClassicControlEnv, ResetNeededError, type EnvSpec } from './env.js';
export { CartPoleEnv, CARTPOLE_THETA_THRESHOLD, CARTPOLE_X_THRESHOLD, wrapAngle, type CartPoleOptions } from './cartpole.js';
export { AcrobotEnv, type AcrobotOptions } from './acrobot.js';
export { cosFloat32, sinFloat32 } from './float32-trig.js';
export { MountainCarEnv, type MountainCarOptions } from './mountain-car.js';
export { make, register, registeredEnvIds, envSpec, envDims, type EnvDims, type MakeOptions, type EnvRegistration } from './registry.js';
export { VectorEnv, makeVec, type AutoresetMode, type VectorEnvOptions, type VectorStepInfo, type VectorStepResult } from './vector-env.js';
export * from './wrappers/index.js';
export * from './render/index.js';
