/**
 * `--mode export` through the real CLI (a child process running dist/): weights files trained by the
 * CLI itself (a DQN on CartPole-v1, a PPO on Pendulum-v1 with normalised observations) exported to
 * ONNX, loaded in onnxruntime-node and compared with the engine's forward pass; and the refusals of
 * flags, each exit code 2 with one line naming the flag or the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Box } from '../src/envs/spaces.js';
import { QUICK, ensureBuilt, root, runCli } from './support/cli-process.js';
import { engineOutputs, randomObservations } from './support/export-cases.js';
import { relativeError } from './support/relative-error.js';

const { onnx } = onnxProto;
const ROWS = 64;

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The model at `path` run on `rows` observations in onnxruntime-node. */
async function runModel(path: string, observations: Float32Array, rows: number): Promise<Record<string, Tensor>> {
  const session = await InferenceSession.create(readFileSync(path));
  try {
    return await session.run({ observation: new Tensor('float32', observations, [rows, observations.length / rows]) });
  } finally {
    await session.release();
  }
}

describe('--mode export', () => {
  it('exports a DQN the CLI trained; onnxruntime-node matches the engine', async () => {
    const trained = runCli([...QUICK, '--steps', '400', '--out', 'dqn-run', '--save', 'dqn.npz'], dir);
    expect(trained.code).toBe(0);
    const r = runCli(['--mode', 'export', '--load', 'dqn.npz', '--export', 'models/dqn.onnx'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const size = readFileSync(join(dir, 'models', 'dqn.onnx')).length;
    expect(r.stdout).toBe(
      `exported dqn q-network policy of dqn.npz (CartPole-v1) to models/dqn.onnx: ${size} bytes, ONNX opset 17; input observation float32[batch, 4]; outputs q_values float32[batch, 2], action int64[batch]\n`,
    );
    const model = onnx.ModelProto.decode(readFileSync(join(dir, 'models', 'dqn.onnx')));
    expect(model.producerVersion).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const observations = randomObservations(ROWS, 4, 1);
    const out = await runModel(join(dir, 'models', 'dqn.onnx'), observations, ROWS);
    const ref = await engineOutputs(readFileSync(join(dir, 'dqn.npz')), observations, ROWS, null);
    expect(relativeError(out.q_values.data as Float32Array, ref.values)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(out.action.data as BigInt64Array, Number)).toEqual(ref.actions);
  });

  it('exports a PPO the CLI trained on a Box env, normalisation and bounds baked in, to policy.onnx by default', async () => {
    const ppo = ['--algo', 'ppo', '--env', 'Pendulum-v1', '--backend', 'cpu', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '64', '--num-minibatches', '4', '--update-epochs', '2', '--normalize-observation'];
    const trained = runCli([...ppo, '--steps', '512', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video', '--out', 'ppo-run', '--save', 'ppo.npz'], dir);
    expect(trained.code).toBe(0);
    const r = runCli(['--mode', 'export', '--load', 'ppo.npz'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^exported ppo gaussian policy of ppo\.npz \(Pendulum-v1\) to policy\.onnx: \d+ bytes, ONNX opset 17; input observation float32\[batch, 3\]; outputs mean float32\[batch, 1\], log_std float32\[1\], action float32\[batch, 1\]\n$/);
    // Pendulum's observations: cos, sin in [-1, 1] and the angular velocity in [-8, 8], scaled so that some actions clip.
    const observations = randomObservations(ROWS, 3, 4);
    const out = await runModel(join(dir, 'policy.onnx'), observations, ROWS);
    const ref = await engineOutputs(readFileSync(join(dir, 'ppo.npz')), observations, ROWS, new Box([-2], [2]));
    expect(relativeError(out.mean.data as Float32Array, ref.values)).toBeLessThanOrEqual(1e-5);
    expect(relativeError(out.action.data as Float32Array, ref.actions as Float32Array)).toBeLessThanOrEqual(1e-5);
  });

  it("takes --activation for numpy-rl-engine's file (no record): the model says so, and uses it", async () => {
    const fixture = join(root, 'test', 'fixtures', 'numpy-rl-engine-weights.npz');
    const r = runCli(['--mode', 'export', '--load', fixture, '--activation', 'tanh', '--export', 'numpy.onnx'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^exported dqn q-network policy of .*numpy-rl-engine-weights\.npz to numpy\.onnx: \d+ bytes, .*\nnote: .*numpy-rl-engine-weights\.npz records no network \(numpy-rl-engine's layout\): a plain tanh Q-network is assumed, its widths read from the W shapes\n$/);
    const model = onnx.ModelProto.decode(readFileSync(join(dir, 'numpy.onnx')));
    expect(model.graph?.node?.filter((n) => n.opType === 'Tanh')).toHaveLength(2);
    expect(model.graph?.node?.some((n) => n.opType === 'Relu')).toBe(false);
  });

  // Files that are not policies (a text file, a checkpoint, ...): test/reliability-export.test.ts.
  it('refuses flags it cannot use: exit code 2 and one line naming the flag or the file', () => {
    const cases: [string[], RegExp][] = [
      [['--mode', 'export'], /^error: --mode export needs --load FILE/],
      [['--mode', 'export', '--load'], /^error: --mode export needs --load FILE/],
      [['--mode', 'export', '--load', 'missing.npz'], /^error: --load 'missing\.npz': no such file/],
      [['--mode', 'export', '--load', 'dqn.npz', '--export', 'dqn.npz'], /^error: --load 'dqn\.npz' and --export 'dqn\.npz' are the same file/],
      [['--mode', 'export', '--load', 'dqn.npz', '--backend', 'cpu', '--hidden', '8'], /^error: --mode export reads only --load FILE, --export FILE \(and --activation, for a file that records no network\); --backend, --hidden mean nothing to it/],
      [['--mode', 'export', '--load', 'dqn.npz', '--activation', 'tanh'], /^error: --load 'dqn\.npz' does not fit --activation tanh \(the file's network has relu\); leave the flag out to use the file's value/],
      [['--mode', 'eval', '--load', 'dqn.npz', '--export', 'x.onnx'], /^error: --export writes an ONNX model in --mode export only; with --mode eval nothing is exported/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, dir);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    // dqn.npz is left as it was (the same-file refusal wrote nothing).
    expect(readFileSync(join(dir, 'dqn.npz')).length).toBeGreaterThan(0);
  });
});
