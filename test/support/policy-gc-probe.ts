/**
 * Child process of test/policy-runtime.test.ts: a policy loaded from an engine-written weights file
 * (a PQN LayerNorm Q-network, or a PPO Gaussian actor with observation statistics, named on the
 * command line) acts 2000 times to warm up, then 50000 times (act and actBatch of 8) while the
 * garbage collections are counted; prints them as JSON. Run with a tiny young generation
 * (--max-semi-space-size=1) so that any per-call allocation shows as scavenges.
 *   node --max-semi-space-size=1 --expose-gc --import tsx test/support/policy-gc-probe.ts pqn|ppo
 */
import { loadPolicy } from '../../src/policy/index.js';
import { collectionsDuring } from './gc-count.js';
import { network, observations, writeWeights } from './policy-files.js';

const kind = process.argv[2];
const written =
  kind === 'pqn'
    ? writeWeights(network('CartPole-v1', { layerNorm: true, hidden: [64, 64] }), 'pqn', 1)
    : writeWeights(network('Pendulum-v1', { policy: 'actor-critic', activation: 'tanh', hidden: [64, 64], normalizeObservation: true }), 'ppo', 2, 8);
const policy = loadPolicy(written.bytes, `${kind}.npz`);
const obs = observations(written.obsDim, 3, 2, 8);
// The probe's own sum lives in a typed array: a fractional number written to a `let` the loop closes over is boxed at every write.
const checksum = new Float64Array(1);
// Views made once (subarray allocates one each call).
const views = Array.from({ length: 8 }, (_, r) => obs.subarray(r * written.obsDim, (r + 1) * written.obsDim));
const play = (n: number): void => {
  for (let i = 0; i < n; i++) {
    const action = policy.act(views[i % 8]);
    checksum[0] += typeof action === 'number' ? action : action[0];
    checksum[0] += policy.actBatch(obs, 8)[i % 8];
  }
};
play(2000);
const measured = 50_000;
const collections = await collectionsDuring(() => play(measured));
console.log(JSON.stringify({ kind, collections, calls: measured, finite: Number.isFinite(checksum[0]) }));
