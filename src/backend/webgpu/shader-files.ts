/** The WGSL files of shaders/, one per kernel family. */
export const SHADER_FILES = [
  'elementwise',
  'matmul',
  'bias-activation',
  'activation-backward',
  'reduce',
  'gather-scatter',
  'dueling',
  'loss',
  'adam',
  'sgd',
] as const;
export type ShaderFile = (typeof SHADER_FILES)[number];
