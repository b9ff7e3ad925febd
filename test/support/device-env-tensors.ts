/** envStep's tensors for the device env tests (test/device-env*.test.ts): made, read back and disposed together. */
import { DEVICE_ENV_SPECS, type Backend, type DeviceEnvKind, type EnvStepOf, type Tensor } from '../../src/backend/backend.js';

export type EnvTensors = Omit<EnvStepOf<Tensor>, 'env' | 'seed'>;

/** The tensors of one envStep of N copies of `env` from `state` (S, N); the outputs zero. */
export function envTensors(b: Backend, env: DeviceEnvKind, n: number, state: ArrayLike<number>): EnvTensors {
  const spec = DEVICE_ENV_SPECS[env];
  return {
    state: b.tensor([spec.stateRows, n], state, 'state'),
    actions: b.tensor([n, 1], undefined, 'actions'),
    obs: b.tensor([n, spec.obsDim], undefined, 'obs'),
    finalObs: b.tensor([n, spec.obsDim], undefined, 'finalObs'),
    rewards: b.tensor([n], undefined, 'rewards'),
    terminated: b.tensor([n], undefined, 'terminated'),
    truncated: b.tensor([n], undefined, 'truncated'),
    episodes: b.tensor([2, n], undefined, 'episodes'),
  };
}

export function disposeEnvTensors(t: EnvTensors): void {
  for (const x of Object.values(t)) x.dispose();
}

/** Every tensor of `t`, read back. */
export async function readEnvTensors(b: Backend, t: EnvTensors): Promise<Record<keyof EnvTensors, Float32Array>> {
  const out: Partial<Record<keyof EnvTensors, Float32Array>> = {};
  for (const [k, x] of Object.entries(t) as [keyof EnvTensors, Tensor][]) out[k] = (await b.read(x)) as Float32Array;
  return out as Record<keyof EnvTensors, Float32Array>;
}

/**
 * Steps N envs of `env` on the CPU and WebGPU backends from the same state for `steps` chained
 * steps (fresh random actions each step from `nextActions`), comparing every output bit for bit
 * (Object.is): the number of differing values and the largest difference.
 */
export async function compareBackends(
  cpu: Backend,
  gpu: Backend,
  env: DeviceEnvKind,
  seed: number,
  state: ArrayLike<number>,
  steps: number,
  nextActions: (actions: Float32Array) => void,
): Promise<{ differing: number; maxDiff: number }> {
  const n = state.length / DEVICE_ENV_SPECS[env].stateRows;
  const tc = envTensors(cpu, env, n, state);
  const tg = envTensors(gpu, env, n, state);
  const actions = new Float32Array(n);
  let differing = 0;
  let maxDiff = 0;
  for (let step = 0; step < steps; step++) {
    nextActions(actions);
    cpu.write(tc.actions, actions);
    gpu.write(tg.actions, actions);
    cpu.envStep({ env, seed, ...tc });
    gpu.envStep({ env, seed, ...tg });
    const [a, b] = [await readEnvTensors(cpu, tc), await readEnvTensors(gpu, tg)];
    for (const k of Object.keys(a) as (keyof EnvTensors)[]) {
      for (let i = 0; i < a[k].length; i++) {
        if (!Object.is(a[k][i], b[k][i])) {
          differing++;
          maxDiff = Math.max(maxDiff, Math.abs(a[k][i] - b[k][i]));
        }
      }
    }
  }
  disposeEnvTensors(tc);
  disposeEnvTensors(tg);
  return { differing, maxDiff };
}
