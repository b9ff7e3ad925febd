/**
 * Env 0 of N device envs, read for the page's canvas: its column of the env state (S, N) gathered
 * into a small (S, 1) tensor by one `gatherColumns` dispatch (every index 0), then read back: S
 * floats (CartPole: 7), one read back, whatever N is.
 *
 * `read()` records the gather before it returns, so the state read is the one at that point of the
 * recorded work: a caller may start it between two rollouts and record the next one while the read
 * back is on its way (on WebGPU the copy to the staging buffer is ordered before the later work;
 * nothing waits for it but the promise).
 */
import { DEVICE_ENV_SPECS, deviceEnvPhysicsRows, type Backend, type DeviceEnvKind, type Tensor } from '../backend/backend.js';
import type { EnvInProgress } from './trainer.js';

export class FirstEnvProbe {
  private readonly indices: Tensor;
  private readonly column: Tensor;
  private readonly physicsRows: number;

  /** `state` is the device envs' (S, N) state of `env` (DeviceRollout.state); the probe reads it, never writes it. */
  constructor(
    private readonly backend: Backend,
    private readonly state: Tensor,
    env: DeviceEnvKind,
  ) {
    const rows = DEVICE_ENV_SPECS[env].stateRows;
    this.physicsRows = deviceEnvPhysicsRows(env);
    this.indices = backend.tensor([rows, 1], undefined, 'probe.env0');
    this.column = backend.tensor([rows, 1], undefined, 'probe.env0_state');
  }

  /**
   * Env 0's episode in progress now: its physics rows (in the order of the host env's
   * `unwrapped.state`; CartPole: x, x_dot, theta, theta_dot) and its steps so far. One dispatch
   * recorded at once, then one read back of S floats.
   */
  read(): Promise<EnvInProgress> {
    this.backend.gatherColumns(this.state, this.indices, this.column);
    return this.backend.read(this.column).then((values) => ({
      state: Array.from(values.subarray(0, this.physicsRows)),
      episodeStep: values[this.physicsRows],
    }));
  }

  dispose(): void {
    this.indices.dispose();
    this.column.dispose();
  }
}
