/** The WGSL files of shaders/, one per kernel family: derived from the kernel table. */
export { SHADER_FILES, type ShaderFile } from './kernels.js';
