/**
 * Faults a test can ask a real CLI process to suffer, through the environment (never set by
 * users; the reliability tests use them to check what a user would see):
 *
 *   WEBGPU_RL_TEST_LOSE_DEVICE_AT_STEP=N   destroys the WebGPU device (GPUDevice.destroy(): a real
 *                                          device loss, as a driver reset gives) once training
 *                                          has passed env step N.
 */
import type { Backend } from '../backend/backend.js';
import { gpuDevice } from './backend.js';

export class FaultInjection {
  private loseDeviceAt: number | null;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const at = env.WEBGPU_RL_TEST_LOSE_DEVICE_AT_STEP;
    this.loseDeviceAt = at !== undefined && at !== '' && Number.isSafeInteger(Number(at)) ? Number(at) : null;
  }

  /** Called between slices of training with the steps taken so far. */
  afterSlice(steps: number, backend: Backend): void {
    if (this.loseDeviceAt === null || steps < this.loseDeviceAt) return;
    const device = gpuDevice(backend);
    if (device === null) return;
    this.loseDeviceAt = null;
    device.destroy();
  }
}
