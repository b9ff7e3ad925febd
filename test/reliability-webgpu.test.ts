/**
 * WebGPU faults as a user meets them, on the real Dawn device (lavapipe here) and the real CLI:
 * a device lost mid-run (GPUDevice.destroy(), a real loss), buffers beyond the device's limits,
 * a shader that does not compile. No adapter at all: reliability-cli.test.ts
 * ([no-folder-on-failed-start]) and create-backend.test.ts. Test titles start with their id in
 * docs/reliability.md.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeAdapter } from '../src/backend/webgpu/device-node.js';
import { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { parseMetricsCsv } from '../src/metrics/csv-log.js';
import { preset } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { decodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { QUICK, ensureBuilt, readBytes, root, runCli, runCliBin, withoutDawnNotices } from './support/cli-process.js';
import { failOnCi, needs } from './support/requirements.js';

const adapter = await probeAdapter();
if (adapter.found === false) failOnCi(adapter.reason);
const hasAdapter = adapter.found === true;

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rl-webgpu-faults-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A short WebGPU run: tiny net, checkpoints every 200 steps. */
// One env (the default preset, not --backend webgpu's vector one), so the checkpoints fall at exactly 200 and 400.
const GPU_RUN = [...QUICK.filter((a) => a !== 'cpu' && a !== '--backend'), '--preset', 'default', '--steps', '600', '--checkpoint-every', '200', '--seed', '5'];
const LOSE_AT_300 = { WEBGPU_RL_TEST_LOSE_DEVICE_AT_STEP: '300' };

describe('WebGPU faults in the CLI', needs('webgpu', hasAdapter), () => {
  it('[webgpu-device-lost] --backend webgpu: a device lost mid-run stops with exit 1, naming the last checkpoint and the command that resumes on the CPU', () => {
    const r = runCli([...GPU_RUN, '--backend', 'webgpu', '--out', 'lost', '--save', 'lost.npz'], dir, LOSE_AT_300);
    expect(r.code).toBe(1);
    // The loss is noticed at the next device call that checks: an acting read back (rare while epsilon
    // is near 1), or at the latest the checkpoint due at step 400.
    expect(withoutDawnNotices(r.stderr)).toMatch(
      /^error: WebGPU device lost \(destroyed\): [^\n]* at env step (3\d\d|40\d); the last checkpoint is lost\/checkpoint\.zip \(step 200\): continue with --resume lost\/checkpoint\.zip --backend cpu\n$/,
    );
    const resumed = runCli(['--resume', join('lost', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'lost-resumed.npz'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/finished: 600 steps/);
  });

  it('[webgpu-device-lost-auto] --backend auto: the run goes on on the CPU from the last checkpoint and ends as a CPU resume of that checkpoint does', () => {
    const env = { ...LOSE_AT_300, WEBGPU_RL_SOFTWARE_ADAPTER: 'use' };
    const r = runCli([...GPU_RUN, '--backend', 'auto', '--out', 'auto', '--save', 'auto.npz'], dir, env);
    expect(withoutDawnNotices(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backend webgpu \(/);
    // As in [webgpu-device-lost]: the loss is noticed at an acting read back or at the latest at the step-400 checkpoint.
    expect(r.stdout).toMatch(/WebGPU device lost \(destroyed\): .* at env step (3\d\d|40\d); continuing on the CPU backend from the last checkpoint \(auto\/checkpoint\.zip, step 200\)/);
    expect(r.stdout).toMatch(/finished: 600 steps/);
    // metrics.csv: the rows the GPU wrote after step 200 were replaced; episodes count up once.
    const rows = parseMetricsCsv(readFileSync(join(dir, 'auto', 'metrics.csv'), 'utf8'));
    expect(rows.map((row) => row.episode)).toEqual(rows.map((_, i) => i + 1));
    // The same run on --backend webgpu stops at the loss with its step-200 checkpoint; resumed on
    // the CPU, it ends with the same weights.
    expect(runCli([...GPU_RUN, '--backend', 'webgpu', '--out', 'stopped', '--save', 'stopped.npz'], dir, LOSE_AT_300).code).toBe(1);
    expect(decodeTrainerCheckpoint(readBytes(join(dir, 'stopped', 'checkpoint.zip')), 'c').state.steps).toBe(200);
    const cpu = runCli(['--resume', join('stopped', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'cpu-from-200.npz'], dir);
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(readFileSync(join(dir, 'auto.npz'))).toEqual(readFileSync(join(dir, 'cpu-from-200.npz')));
  });

  it("[webgpu-buffer-limit] a network whose parameters exceed the device's buffer limits is refused before training (exit 2), naming --hidden and the sizes", () => {
    const r = runCli([...GPU_RUN, '--backend', 'webgpu', '--hidden', '6000,6000', '--out', 'huge', '--save', 'huge.npz'], dir);
    expect(r.code).toBe(2);
    expect(withoutDawnNotices(r.stderr)).toMatch(/^error: --hidden 6000,6000: the network would need a GPU buffer of 144 MB, more than this device allows \([\d.]+ [MG]B: maxBufferSize \d+, maxStorageBufferBindingSize \d+\)\n$/);
    expect(() => readFileSync(join(dir, 'huge', 'config.json'))).toThrow();
  });

  it('[webgpu-shader-compile] a shader that does not compile: --backend webgpu fails with the compiler message (exit 1); auto trains on the CPU saying why', () => {
    // A copy of the package whose adam.wgsl is broken (dist and bin as built; node_modules linked).
    const pkg = join(dir, 'broken-package');
    mkdirSync(pkg);
    for (const part of ['bin', 'dist', 'shaders', 'package.json']) cpSync(join(root, part), join(pkg, part), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
    const adam = join(pkg, 'shaders', 'adam.wgsl');
    writeFileSync(adam, readFileSync(adam, 'utf8').replace('sqrt(vi)', 'sqrt(vi, 2.0)'));
    const bin = join(pkg, 'bin', 'train.js');
    const run = (backend: string, extraEnv: Record<string, string> = {}) =>
      runCliBin(bin, [...GPU_RUN, '--steps', '200', '--backend', backend, '--out', `shader-${backend}`, '--save', `shader-${backend}.npz`], dir, extraEnv);
    const webgpu = run('webgpu');
    expect(webgpu.code).toBe(1);
    expect(withoutDawnNotices(webgpu.stderr)).toMatch(/^error: WGSL compilation of adam\.wgsl failed\nadam\.wgsl:\d+:\d+: error: [^\n]*\n/);
    expect(webgpu.stderr).not.toMatch(/\n\s+at /);
    const auto = run('auto', { WEBGPU_RL_SOFTWARE_ADAPTER: 'use' });
    expect(auto.code, auto.stderr).toBe(0);
    expect(withoutDawnNotices(auto.stderr)).toMatch(/^backend auto: using the CPU backend because WebGPU is unavailable: WGSL compilation of adam\.wgsl failed\n$/);
  });
});

describe('a trainer abandoned with reads in flight', needs('webgpu', hasAdapter), () => {
  it('leaves no unhandled rejection when its device goes (the CLI drops the GPU trainer after a device loss)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const backend = await WebGpuBackend.create();
      // A loss read starts with every round of updates and is awaited only when an episode ends.
      const config = { ...preset('default'), hidden: [8], batchSize: 8, learningStarts: 16, lossReadInterval: 1, evalFreq: 0, steps: 100 };
      const trainer = new DqnTrainer(backend, config, 1);
      await trainer.run(30);
      trainer.dispose();
      backend.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('WebGPU device loss before the first checkpoint', needs('webgpu', hasAdapter), () => {
  it('[webgpu-device-lost-auto-start] --backend auto with no checkpoint yet starts over on the CPU and ends as a CPU run from the start does', () => {
    const env = { WEBGPU_RL_TEST_LOSE_DEVICE_AT_STEP: '100', WEBGPU_RL_SOFTWARE_ADAPTER: 'use' };
    const r = runCli([...GPU_RUN, '--checkpoint-every', '0', '--backend', 'auto', '--out', 'auto-start', '--save', 'auto-start.npz'], dir, env);
    expect(r.code, r.stderr).toBe(0);
    // The loss is noticed at the next device call that checks (asynchronous: CI has seen steps 1xx and 201).
    const noticed = /at env step (\d+); continuing on the CPU backend from the start \(no checkpoint was written yet\)/.exec(r.stdout);
    expect(noticed, r.stdout).not.toBeNull();
    expect(Number(noticed?.[1])).toBeGreaterThanOrEqual(100);
    expect(Number(noticed?.[1])).toBeLessThan(600);
    const cpu = runCli([...GPU_RUN, '--checkpoint-every', '0', '--backend', 'cpu', '--out', 'cpu-start', '--save', 'cpu-start.npz'], dir);
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(readFileSync(join(dir, 'auto-start.npz'))).toEqual(readFileSync(join(dir, 'cpu-start.npz')));
    const rows = parseMetricsCsv(readFileSync(join(dir, 'auto-start', 'metrics.csv'), 'utf8'));
    expect(rows.map((row) => row.episode)).toEqual(rows.map((_, i) => i + 1));
  });
});
