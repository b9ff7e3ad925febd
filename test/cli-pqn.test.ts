/**
 * PQN through the real CLI (a child process per run, CPU backend): `--algo pqn` trains with its own
 * preset and banner, writes the run folder, a weights file that records its LayerNorm network, and a
 * checkpoint of its own kind; Ctrl-C and --resume continue it exactly; --mode eval plays its
 * weights whatever --algo says. What does not fit an algorithm is refused before any work:
 * test/reliability-algorithms.test.ts. --env-on's default (auto) settles to host on the CPU and to
 * device envs on WebGPU (the real Dawn device), and a resumed run keeps the mode it ran in.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { OP_DEFAULTS } from '../src/backend/op-defaults.js';
import { checkpointAlgorithm } from '../src/rl/algorithms.js';
import { decodePqnCheckpoint } from '../src/rl/pqn-checkpoint.js';
import { readWeightsFile } from '../src/rl/weights-file.js';
import { ensureBuilt, readBytes, runCli, startCli } from './support/cli-process.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
gpu?.destroy();

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'cli-pqn-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small PQN: 4 envs x 32 steps a rollout (128 transitions), 2 epochs x 2 minibatches of 64, a 16-16 network. */
const PQN_QUICK = ['--algo', 'pqn', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '2', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];

const train = (args: string[]) => runCli(args, dir);

describe('--algo pqn', () => {
  it('trains with its preset: banner, config.json, checkpoint kind, and a weights file recording its LayerNorm network', () => {
    const r = train([...PQN_QUICK, '--steps', '1024', '--out', 'first', '--save', 'first.npz', '--eval-freq', '512', '--eval-episodes', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^training PQN on CartPole-v1 \| preset pqn-cartpole \| seed 0 \| backend cpu .*\| net 4-16-16-2 layernorm \| 4 envs x 32 steps a rollout, 2 epochs x 2 minibatches of 64 \| RAdam lr 0.00025 annealed \| lambda 0.65 \| 1024 steps \| epsilon /m,
    );
    expect(r.stdout).toMatch(/^finished: 1024 steps, \d+ episodes, 32 updates in /m);
    const config = JSON.parse(readFileSync(join(dir, 'first', 'config.json'), 'utf8')) as Record<string, unknown>;
    // --env-on auto (the preset's) on the CPU: host envs, recorded as such.
    expect(config).toMatchObject({ algo: 'pqn', preset: 'pqn-cartpole', envOn: 'host', numEnvs: 4, numSteps: 32, hidden: [16, 16], qLambda: 0.65 });
    // What the training cost, in counts (the CPU backend: kernel calls, no submits, a read back per vector step that acts greedily, and per iteration).
    const stats = JSON.parse(readFileSync(join(dir, 'first', 'stats.json'), 'utf8')) as Record<string, unknown>;
    expect(stats).toMatchObject({ algo: 'pqn', backend: 'cpu', envSteps: 1024, updates: 32, submits: 0, totalEnvSteps: 1024 });
    expect(stats.dispatches as number).toBeGreaterThan(32 * 15);
    expect(stats.readbacks as number).toBeGreaterThan(8);
    expect((stats.perUpdate as Record<string, number>).dispatches).toBeCloseTo((stats.dispatches as number) / 32, 10);
    const opened = openCheckpoint(readBytes(join(dir, 'first', 'checkpoint.zip')), 'checkpoint.zip');
    expect(checkpointAlgorithm(opened)).toBe('pqn');
    expect(decodePqnCheckpoint(opened).state).toMatchObject({ steps: 1024, iterations: 8, agent: { updates: 32 } });
    const weights = readWeightsFile(readBytes(join(dir, 'first.npz')), 'first.npz');
    expect(weights.network).toEqual({ obsDim: 4, nActions: 2, hidden: [16, 16], activation: 'relu', dueling: false, quantiles: 1, layerNorm: true, policy: 'q-network', env: 'CartPole-v1', algorithm: 'pqn', actionSpace: 'discrete' });
    // Per hidden layer W, b, gamma, beta; then the head's W and b.
    expect([...weights.entries.values()].map((h) => h.shape)).toEqual([[4, 16], [1, 16], [1, 16], [1, 16], [16, 16], [1, 16], [1, 16], [1, 16], [16, 2], [1, 2]]);
    const json = new TextDecoder().decode(weights.archive.read('network.npy')).slice(-200);
    expect(json).toContain(`"norm":"layer","normEps":${OP_DEFAULTS.layerNormEps}`);
  });

  it('--env-on device trains on the device envs and checkpoints their state; other envs are refused before any work', () => {
    const r = train(['--algo', 'pqn', '--env-on', 'device', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '64', '--num-steps', '4', '--num-minibatches', '2', '--update-epochs', '2', '--steps', '2048', '--eval-freq', '1024', '--eval-episodes', '2', '--final-eval-episodes', '0', '--no-video', '--out', 'device']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| 64 device envs x 4 steps a rollout, /);
    expect(r.stdout).toMatch(/^finished: 2048 steps, \d+ episodes, 32 updates in /m);
    const config = JSON.parse(readFileSync(join(dir, 'device', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ algo: 'pqn', envOn: 'device', numEnvs: 64 });
    const state = decodePqnCheckpoint(openCheckpoint(readBytes(join(dir, 'device', 'checkpoint.zip')), 'checkpoint.zip')).state;
    expect(state).toMatchObject({ steps: 2048, iterations: 8, envs: [] });
    expect(state.deviceEnv?.length).toBe(7 * 64);
    const refused = train(['--algo', 'pqn', '--env-on', 'device', '--env', 'CartPolePoleDown-v1', '--backend', 'cpu', '--num-envs', '64', '--out', 'refused-device']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/env-on device: envs on the device support CartPole-v1, Acrobot-v1, MountainCar-v0 only, not CartPolePoleDown-v1/);
    expect(existsSync(join(dir, 'refused-device'))).toBe(false);
  });

  it('--preset pqn-cartpole alone chooses PQN; its weights file is pqn_weights.npz, which --algo pqn --mode eval --load reads', () => {
    const byPreset = train(['--preset', 'pqn-cartpole', '--backend', 'cpu', '--hidden', '8', '--steps', '512', '--num-steps', '16', '--out', 'by-preset', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video']);
    expect(byPreset.stderr).toBe('');
    expect(byPreset.stdout).toMatch(/^training PQN on CartPole-v1 \| preset pqn-cartpole /m);
    expect(byPreset.stdout).toMatch(/^weights: pqn_weights.npz \(also in the run folder\)$/m);
    expect(existsSync(join(dir, 'by-preset', 'pqn_weights.npz'))).toBe(true);
    expect(existsSync(join(dir, 'dqn_weights.npz'))).toBe(false);
    const played = train(['--algo', 'pqn', '--mode', 'eval', '--load', '--backend', 'cpu', '--final-eval-episodes', '2', '--no-video']);
    expect(played.stderr).toBe('');
    expect(played.stdout).toMatch(/^evaluating pqn_weights.npz \(4-8-2 layernorm\)/m);
  });

  it('Ctrl-C saves a checkpoint; --resume from it ends with the uninterrupted run\'s weights and metrics', async () => {
    const args = [...PQN_QUICK, '--steps', '24576', '--seed', '4', '--eval-freq', '4096', '--eval-episodes', '2'];
    const whole = train([...args, '--out', 'whole', '--save', 'whole.npz']);
    expect(whole.code).toBe(0);
    let interrupted = false;
    const part = await startCli([...args, '--out', 'part', '--save', 'part.npz', '--log-every', '5'], dir, (text, child) => {
      if (!interrupted && /episode 200 /.test(text)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted).toBe(true);
    expect(part.code).toBe(130);
    expect(part.stdout).toMatch(/continue with --resume part\/checkpoint.zip/);
    const stoppedAt = Number(/stopped: (\d+) steps/.exec(part.stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(24576);
    expect(stoppedAt % 128).toBe(0);
    const resumed = train(['--resume', join('part', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'resumed.npz', '--no-video', '--final-eval-episodes', '0']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(new RegExp(`resumed from part/checkpoint.zip at step ${stoppedAt}`));
    expect(resumed.stdout).toMatch(/finished: 24576 steps/);
    expect(readBytes(join(dir, 'resumed.npz'))).toEqual(readBytes(join(dir, 'whole.npz')));
    const rows = (folder: string) => readFileSync(join(dir, folder, 'metrics.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, 6).join(','));
    expect(rows('part')).toEqual(rows('whole'));
    expect(readFileSync(join(dir, 'part', 'evaluations.csv'), 'utf8')).toEqual(readFileSync(join(dir, 'whole', 'evaluations.csv'), 'utf8'));
  });

  it("with --env-on device too: Ctrl-C's checkpoint holds the device envs' state, and --resume ends with the uninterrupted run's weights and metrics", async () => {
    const args = ['--algo', 'pqn', '--env-on', 'device', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '64', '--num-steps', '4', '--num-minibatches', '2', '--update-epochs', '2'];
    args.push('--steps', '131072', '--seed', '3', '--eval-freq', '32768', '--eval-episodes', '2', '--final-eval-episodes', '0', '--no-video');
    const whole = train([...args, '--out', 'device-whole', '--save', 'device-whole.npz']);
    expect(whole.code).toBe(0);
    let interrupted = false;
    const part = await startCli([...args, '--out', 'device-part', '--save', 'device-part.npz', '--log-every', '50'], dir, (text, child) => {
      if (!interrupted && /episode 2000 /.test(text)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(interrupted).toBe(true);
    expect(part.code).toBe(130);
    const stoppedAt = Number(/stopped: (\d+) steps/.exec(part.stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(131072);
    expect(decodePqnCheckpoint(openCheckpoint(readBytes(join(dir, 'device-part', 'checkpoint.zip')), 'checkpoint.zip')).state.deviceEnv?.length).toBe(7 * 64);
    const resumed = train(['--resume', join('device-part', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'device-resumed.npz', '--no-video', '--final-eval-episodes', '0']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/finished: 131072 steps/);
    expect(readBytes(join(dir, 'device-resumed.npz'))).toEqual(readBytes(join(dir, 'device-whole.npz')));
    const rows = (folder: string) => readFileSync(join(dir, folder, 'metrics.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, 6).join(','));
    expect(rows('device-part')).toEqual(rows('device-whole'));
  });

  it('--backend webgpu trains on device envs by default (auto), says so, records device, and a resumed run on the CPU keeps them', needs('webgpu', gpu !== null), () => {
    const args = ['--algo', 'pqn', '--hidden', '16,16', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video', '--seed', '2'];
    const r = train([...args, '--backend', 'webgpu', '--steps', '512', '--out', 'auto-webgpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^training PQN on CartPole-v1 \| preset pqn-cartpole-vector \| .*\| backend webgpu .*\| 32 device envs x 16 steps a rollout, /m);
    const config = JSON.parse(readFileSync(join(dir, 'auto-webgpu', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ algo: 'pqn', backend: 'webgpu', envOn: 'device', numEnvs: 32 });
    const state = decodePqnCheckpoint(openCheckpoint(readBytes(join(dir, 'auto-webgpu', 'checkpoint.zip')), 'checkpoint.zip')).state;
    expect(state.config.envOn).toBe('device');
    expect(state.deviceEnv?.length).toBe(7 * 32);
    // Resumed on the CPU (where auto means host), --env-on auto given: the run goes on as it ran, on device envs.
    const resumed = train(['--resume', join('auto-webgpu', 'checkpoint.zip'), '--backend', 'cpu', '--env-on', 'auto', '--steps', '1024', '--no-video', '--final-eval-episodes', '0']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/\| 32 device envs x 16 steps a rollout, /);
    expect(resumed.stdout).toMatch(/finished: 1024 steps/);
    // --env-on host names another mode than the checkpoint's: refused before any work.
    const other = train(['--resume', join('auto-webgpu', 'checkpoint.zip'), '--backend', 'cpu', '--env-on', 'host', '--steps', '2048', '--no-video']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/conflicts with --env-on host \(the checkpoint has device\)/);
    // Host envs asked for: the same preset on the host.
    const host = train([...args, '--backend', 'webgpu', '--env-on', 'host', '--steps', '512', '--out', 'host-webgpu']);
    expect(host.code).toBe(0);
    expect(host.stdout).toMatch(/\| 32 envs x 16 steps a rollout, /);
  });

  it('--mode eval plays PQN weights (without --algo) and writes the GIF', () => {
    const r = train(['--mode', 'eval', '--load', 'first.npz', '--backend', 'cpu', '--final-eval-episodes', '3', '--video', 'pqn.gif']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^evaluating first.npz \(4-16-16-2 layernorm\) relu on CartPole-v1, backend cpu/m);
    expect(r.stdout).toMatch(/^greedy evaluation over 3 episodes: mean return /m);
    expect(existsSync(join(dir, 'pqn.gif'))).toBe(true);
  });
});

