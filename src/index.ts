/**
 * webgpu-rl-engine's public API. Everything here runs in Node and (bundled) in the browser,
 * except what src/io/node and src/metrics/node hold, exported from 'webgpu-rl-engine/node'.
 */
export * from './errors.js';
export * from './backend/index.js';
export * from './nn/index.js';
export * from './rl/index.js';
export * from './envs/index.js';
export * from './random/index.js';
export * from './io/index.js';
export * from './metrics/index.js';
