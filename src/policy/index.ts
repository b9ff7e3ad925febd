/**
 * `webgpu-rl-engine/policy`: a trained policy from its weights .npz, in Node and the browser,
 * without the training code. See docs/policy-runtime.md.
 */
export { loadPolicy, type BoxPolicy, type DiscretePolicy, type Policy } from './load-policy.js';
export type { NetworkRecord } from '../rl/weights-file.js';
