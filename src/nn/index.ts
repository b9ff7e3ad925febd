/** Backend-agnostic neural-network library: layers, losses, optimisers, clipping. */
export { ACTIVATIONS, ActivationLayer, DEFAULT_LEAKY_SLOPE, checkActivation, type Activation } from './activations.js';
export { BatchBuffers } from './batch-buffers.js';
export { GradNormClipper } from './clip.js';
export { Dense, type DenseOptions } from './dense.js';
export { INITIALIZERS, checkInitializer, initBias, initWeights, type Initializer } from './init.js';
export type { Layer } from './layer.js';
export { LayerNorm, layerNormThen, type LayerNormOptions } from './layer-norm.js';
export { LOSSES, Loss, checkLoss, type LossKind } from './losses.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { RAdam, type RAdamOptions } from './optim/radam.js';
export { SlotOptimizer, type Optimizer, type OptimizerState } from './optim/optimizer.js';
export { Sgd, Sgd as SGD, type SgdOptions } from './optim/sgd.js';
export type { Parameter } from './parameter.js';
export { Sequential, mlp, type BackwardOptions, type MlpOptions } from './sequential.js';
