/**
 * Gymnasium-exact classic-control environments: CartPole-v1 (and its pole-down variant),
 * Acrobot-v1, MountainCar-v0 (Discrete actions), Pendulum-v1 and MountainCarContinuous-v0 (Box
 * actions); spaces, wrappers, the registry with `make`, a vector env and software renderers.
 */
export type { Info, StepResult, ResetResult, ResetOptions, StepRecord, RenderMode, RgbFrame } from './types.js';
export { newStepRecord } from './types.js';
export { Box, Discrete, actionDim, isBox, type ActionSpace, type ActionOf } from './spaces.js';
export { Env, ClassicControlEnv, ResetNeededError, actionProblem, type EnvSpec } from './env.js';
export { adaptEnv, toActionSpace, toObservationSpace, EnvOutputError, EnvOutputGuard, type CustomEnv, type PlainEnv, type PlainBox, type PlainDiscrete, type PlainObservation } from './custom-env.js';
export { checkEnv, assertEnvValid, type CheckEnvOptions, type EnvFinding, type EnvFindingLevel } from './check-env.js';
export { DISCRETE_ONLY_ALGORITHMS, continuousActionsProblem, requireDiscreteEnv } from './discrete-only.js';
export { FlatActions } from './flat-actions.js';
export { CartPoleEnv, CARTPOLE_THETA_THRESHOLD, CARTPOLE_X_THRESHOLD, wrapAngle, type CartPoleOptions } from './cartpole.js';
export { AcrobotEnv, type AcrobotOptions } from './acrobot.js';
export { cosFloat32, sinFloat32 } from './float32-trig.js';
export { MountainCarEnv, type MountainCarOptions } from './mountain-car.js';
export { PendulumEnv, angleNormalize, PENDULUM_MAX_TORQUE, type PendulumOptions } from './pendulum.js';
export { MountainCarContinuousEnv, MOUNTAIN_CAR_CONTINUOUS_GOAL_POSITION, type MountainCarContinuousOptions } from './mountain-car-continuous.js';
export {
  make,
  register,
  registeredEnvIds,
  envSource,
  isRegisteredEnv,
  envSpec,
  envDims,
  envActionSpace,
  discreteActionsProblem,
  type ActionSpaceOf,
  type BuiltinActionSpaces,
  type EnvDims,
  type MakeOptions,
  type EnvRegistration,
  type EnvRegistrationInput,
  type EnvEntryPoint,
} from './registry.js';
export { VectorEnv, makeVec, type AutoresetMode, type VectorEnvLike, type VectorEnvOptions, type VectorStepInfo, type VectorStepResult } from './vector-env.js';
export * from './wrappers/index.js';
export * from './render/index.js';
