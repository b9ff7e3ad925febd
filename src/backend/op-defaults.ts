/**
 * The default values of optional op arguments, for every backend and every layer that passes them
 * on: written once here, applied once by BackendBase.
 */
export const OP_DEFAULTS = {
  /** LeakyReLU's negative slope (torch.nn.LeakyReLU's default). */
  leakySlope: 0.01,
  /** Huber loss threshold (torch.nn.HuberLoss's default). */
  huberDelta: 1,
  /** Probability floor of `cross_entropy` (the log of a probability below it is taken at it). */
  crossEntropyEps: 1e-7,
  /** LayerNorm's variance floor (torch.nn.LayerNorm's default). */
  layerNormEps: 1e-5,
} as const;
