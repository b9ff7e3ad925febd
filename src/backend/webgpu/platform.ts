/**
 * THE platform seam of the WebGPU backend, Node flavour: device acquisition through Dawn (npm
 * `webgpu`) and shader text read from shaders/ on disk. The browser bundle replaces this module
 * with platform-browser.ts (navigator.gpu, shaders inlined as text) through the esbuild plugin
 * of web-build.ts. Everything else in src/backend/webgpu is shared.
 */
export { acquireDevice } from './device-node.js';
export { loadShaderSource } from './shader-sources-node.js';
