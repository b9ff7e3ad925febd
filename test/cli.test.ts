/**
 * The training CLI as a user runs it: `node bin/train.js` in a fresh folder (the compiled dist/,
 * built by `npm install`'s prepare step), reading what it prints and the files it leaves.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shown } from '../src/cli/console.js';
import { readNpz } from '../src/io/npz.js';
import { decodePng } from '../src/io/png.js';
import { parseMetricsCsv } from '../src/metrics/csv-log.js';
import { decodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'train.js');
let dir: string;

function train(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const QUICK = ['--backend', 'cpu', '--hidden', '16,16', '--learning-starts', '100', '--train-freq', '16', '--gradient-steps', '4', '--batch-size', '16', '--eval-freq', '0', '--final-eval-episodes', '3'];

function hasNumpy(): boolean {
  return spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rl-cli-'));
  if (!existsSync(join(root, 'dist', 'cli', 'train.js'))) execFileSync('npm', ['run', 'build'], { cwd: root });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('node bin/train.js', () => {
  it('trains, and leaves weights, checkpoint, metrics, curve and GIF behind', () => {
    const r = train([...QUICK, '--steps', '1500', '--out', 'run-a', '--seed', '4']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The CLI opts into relaxed-SIMD FMA (Node 20's V8 flag), so the CPU backend runs the WASM FMA kernels.
    expect(r.stdout).toMatch(/training DQN on CartPole-v1 \| preset default \| seed 4 \| backend cpu \(WebAssembly SIMD128 \+ FMA\) \|/);
    expect(r.stdout).toMatch(/finished: 1500 steps/);
    expect(r.stdout).toMatch(/greedy evaluation over 3 episodes: mean return/);
    // Every path the run names is relative to where the command was typed.
    expect(r.stdout).toMatch(/^run folder: run-a$/m);
    expect(r.stdout).toMatch(/^video: videos\/CartPole-v1-seed10004\.gif \(\d+ frames/m);
    expect(r.stdout).toMatch(/^learning curve: run-a\/learning-curve\.png$/m);
    for (const f of ['metrics.csv', 'learning-curve.png', 'learning-curve.svg', 'checkpoint.zip', 'config.json', 'eval.json', 'dqn_weights.npz']) {
      expect(existsSync(join(dir, 'run-a', f)), f).toBe(true);
    }
    const rows = parseMetricsCsv(readFileSync(join(dir, 'run-a', 'metrics.csv'), 'utf8'));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows[rows.length - 1].steps).toBeLessThanOrEqual(1500);
    const png = decodePng(new Uint8Array(readFileSync(join(dir, 'run-a', 'learning-curve.png'))));
    expect(png.width).toBeGreaterThan(300);
    const gif = readFileSync(join(dir, 'videos', 'CartPole-v1-seed10004.gif'));
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(gif.readUInt16LE(6)).toBe(600);
    const weights = readNpz(new Uint8Array(readFileSync(join(dir, 'dqn_weights.npz'))));
    // arr_0.. as numpy-rl-engine saves them, and the network they belong to.
    expect([...weights.keys()]).toEqual(['arr_0', 'arr_1', 'arr_2', 'arr_3', 'arr_4', 'arr_5', 'network']);
    expect(weights.get('arr_0')?.shape).toEqual([4, 16]);
    expect(weights.get('arr_1')?.shape).toEqual([1, 16]);
    expect(weights.get('arr_5')?.shape).toEqual([1, 2]);
  });

  it('evaluates saved weights with --mode eval --load (the architecture comes from the file)', () => {
    const r = train(['--mode', 'eval', '--load', '--backend', 'cpu', '--final-eval-episodes', '2', '--no-video']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/evaluating dqn_weights.npz \(4-16-16-2\)/);
    expect(r.stdout).toMatch(/greedy evaluation over 2 episodes/);
  });

  it.runIf(hasNumpy())('writes weights numpy.load reads, equal to what the engine holds', () => {
    const script = [
      'import numpy as np, json, sys',
      `d = np.load(${JSON.stringify(join(dir, 'dqn_weights.npz'))})`,
      "print(json.dumps([[d[k].dtype.str, list(d[k].shape), d[k].ravel().tolist()] for k in sorted((f for f in d.files if f.startswith('arr_')), key=lambda s: int(s[4:]))]))",
    ].join('\n');
    const fromNumpy = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' })) as [string, number[], number[]][];
    const ours = readNpz(new Uint8Array(readFileSync(join(dir, 'dqn_weights.npz'))));
    expect(fromNumpy).toHaveLength(6);
    fromNumpy.forEach(([dtype, shape, values], i) => {
      const a = ours.get(`arr_${i}`);
      expect(dtype).toBe('<f8');
      expect(shape).toEqual(a?.shape);
      expect(values).toEqual(Array.from(a?.data as Float64Array));
    });
  });

  it('loads numpy-rl-engine float64 weights', () => {
    const fixture = join(root, 'test', 'fixtures', 'numpy-rl-engine-weights.npz');
    const r = train(['--mode', 'eval', '--load', fixture, '--backend', 'cpu', '--final-eval-episodes', '1', '--no-video']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\(4-64-64-2\)/);
  });

  it('gives identical metrics for the same seed, and --resume reproduces the uninterrupted run', async () => {
    const args = [...QUICK, '--steps', '1200', '--seed', '9', '--no-video', '--final-eval-episodes', '0'];
    expect(train([...args, '--out', 'same-1', '--save', 'same-1.npz']).code).toBe(0);
    expect(train([...args, '--out', 'same-2', '--save', 'same-2.npz', '--checkpoint-every', '500']).code).toBe(0);
    const strip = (f: string) => readFileSync(join(dir, f, 'metrics.csv'), 'utf8').split('\n').map((l) => l.split(',').slice(0, 6).join(','));
    expect(strip('same-2')).toEqual(strip('same-1'));
    expect(readFileSync(join(dir, 'same-2.npz'))).toEqual(readFileSync(join(dir, 'same-1.npz')));

    // Ctrl-C mid-run saves a checkpoint; --resume from it ends with the uninterrupted run's weights.
    const child = spawn(process.execPath, [bin, ...args, '--out', 'part', '--save', 'part.npz', '--log-every', '5'], { cwd: dir });
    let output = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!interrupted && /episode 10 /.test(output)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(interrupted).toBe(true);
    expect(code).toBe(130);
    expect(output).toMatch(/stopped: \d+ steps/);
    expect(output).toMatch(/continue with --resume part\/checkpoint.zip/);
    const resumed = train(['--resume', join('part', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'resumed.npz', '--no-video', '--final-eval-episodes', '0']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/resumed from part\/checkpoint.zip at step \d+/);
    expect(resumed.stdout).toMatch(/finished: 1200 steps/);
    expect(readFileSync(join(dir, 'resumed.npz'))).toEqual(readFileSync(join(dir, 'same-1.npz')));
    expect(strip('part')).toEqual(strip('same-1'));
  });

  it('labels a resumed run with its own preset: banner, config.json and the plot title', () => {
    const args = ['--backend', 'cpu', '--hidden', '16', '--no-video', '--final-eval-episodes', '0'];
    expect(train([...args, '--preset', 'seed', '--steps', '300', '--out', 'seed-run', '--save', 'seed-run.npz']).code).toBe(0);
    const resumed = train([...args, '--resume', join('seed-run', 'checkpoint.zip'), '--steps', '400', '--save', 'seed-resumed.npz']);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/training DQN on CartPole-v1 \| preset seed \| seed 0 /);
    expect(JSON.parse(readFileSync(join(dir, 'seed-run', 'config.json'), 'utf8'))).toMatchObject({ preset: 'seed', steps: 400 });
    expect(readFileSync(join(dir, 'seed-run', 'learning-curve.svg'), 'utf8')).toContain('DQN on CartPole-v1 (seed preset, cpu)');
  });

  it('averages the policy with --policy-average-tau: recorded in config.json and the checkpoint, refused out of [0, 1]', () => {
    const args = ['--backend', 'cpu', '--hidden', '16', '--no-video', '--final-eval-episodes', '2', '--steps', '600', '--eval-freq', '300'];
    const r = train([...args, '--policy-average-tau', '0.01', '--out', 'averaged', '--save', 'averaged.npz']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'averaged', 'config.json'), 'utf8'))).toMatchObject({ policyAverageTau: 0.01 });
    const checkpoint = decodeTrainerCheckpoint(new Uint8Array(readFileSync(join(dir, 'averaged', 'checkpoint.zip'))), 'c');
    expect(checkpoint.state.averaged).not.toBeNull();
    const bad = train([...args, '--policy-average-tau', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --policy-average-tau must be in \[0, 1\], got 1\.5/);
  });

  it('shows paths relative to the working folder, and absolute outside it', () => {
    const here = process.cwd();
    expect(shown(join(here, 'runs', 'a'))).toBe(join('runs', 'a'));
    expect(shown(here)).toBe('.');
    expect(shown(resolve(here, '..', 'elsewhere', 'w.npz'))).toBe(resolve(here, '..', 'elsewhere', 'w.npz'));
    expect(shown(join(here, '..dots-in-a-name'))).toBe('..dots-in-a-name');
  });

  it('reports every bad integer flag in one style', () => {
    const seed = train(['--seed', '1.5']);
    const batch = train(['--batch-size', '1.5']);
    expect(seed.code).toBe(2);
    expect(batch.code).toBe(2);
    expect(seed.stderr).toMatch(/^error: option '--seed <n>' argument '1.5' is invalid\. --seed expects a non-negative integer, got '1.5' \(--help lists every flag\)\n$/);
    expect(batch.stderr).toMatch(/^error: option '--batch-size <value>' argument '1.5' is invalid\. --batch-size expects a non-negative integer, got '1.5' \(--help lists every flag\)\n$/);
  });

  it('rejects bad input with errors that name the flag or file', () => {
    const missing = train(['--mode', 'eval', '--load', 'nope.npz', '--backend', 'cpu']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--load 'nope.npz': no such file/);
    const badNumber = train(['--lr', 'fast']);
    expect(badNumber.code).not.toBe(0);
    expect(badNumber.stderr).toMatch(/--lr expects a number, got 'fast'/);
    const badPreset = train(['--preset', 'turbo']);
    expect(badPreset.stderr).toMatch(/Allowed choices are default, vector, pole-down, pole-down-vector, acrobot, acrobot-vector, mountain-car, mountain-car-vector, seed, pqn-cartpole/);
    const badRange = train(['--gamma', '1.5', '--backend', 'cpu']);
    expect(badRange.stderr).toMatch(/gamma must be in \[0, 1\], got 1.5/);
    const shapes = train(['--mode', 'eval', '--load', 'dqn_weights.npz', '--env', 'Acrobot-v1', '--backend', 'cpu']);
    expect(shapes.stderr).toMatch(/--load 'dqn_weights.npz' holds weights for 4 observations and 2 actions \(CartPole-v1\); Acrobot-v1 has 6 and 3/);
  });

  it('shows every hyper-parameter with its default in --help', () => {
    const help = train(['--help']).stdout;
    for (const flag of ['--lr <value>', '--batch-size <value>', '--buffer-size <value>', '--gamma <value>', '--tau <value>', '--double-dqn', '--dueling', '--hidden <value>', '--resume <checkpoint>']) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/--lr <value>\s+Adam learning rate \[seed\s+preset: 0.01\]\s+\[pqn-cartpole: 0.00025\]\s+\[ppo-cartpole:\s+0.001\]\s+\(default: 0.0015\)/);
    expect(help).toMatch(/--num-steps <value>\s+rollout length: vector steps per iteration\s+\(pqn, ppo\)\s+\[ppo-cartpole: 32\]\s+\(default: 128\)/);
    // --env-on: auto by default, and what auto means.
    expect(help).toMatch(/--env-on <value>\s+where the training envs step: auto \(device\s+when\s+the\s+run's\s+backend\s+is\s+WebGPU\s+and\s+the\s+env\s+has\s+a\s+device\s+kernel,\s+else\s+host[^]*\(choices:\s+"auto",\s+"host",\s+"device",\s+default:\s+auto\)/);
  });

  it("trains an env with its own preset unless --preset names one", () => {
    const acrobot = train([...QUICK, '--env', 'Acrobot-v1', '--steps', '200', '--out', 'acrobot', '--no-video']);
    expect(acrobot.code).toBe(0);
    expect(acrobot.stdout).toMatch(/training QR-DQN on Acrobot-v1 \| preset acrobot \| seed 0 \|.*\| net 6-16-16-3 x 25 quantiles \|/);
    // 200 steps end no Acrobot episode (an untrained policy takes 500): said so, not 'NaN'.
    expect(acrobot.stdout).toMatch(/^finished: 200 steps, 0 episodes, .*; no training episode has ended yet$/m);
    // The acrobot preset's own fields, the flags given (QUICK) over them.
    expect(JSON.parse(readFileSync(join(dir, 'acrobot', 'config.json'), 'utf8'))).toMatchObject({
      preset: 'acrobot',
      env: 'Acrobot-v1',
      targetUpdate: 'hard',
      lr: 6.3e-4,
      hidden: [16, 16],
      doubleDqn: false,
      quantiles: 25,
      gradientSteps: 4,
    });
    const named = train([...QUICK, '--env', 'Acrobot-v1', '--preset', 'default', '--steps', '200', '--out', 'acrobot-default', '--no-video']);
    expect(named.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'acrobot-default', 'config.json'), 'utf8'))).toMatchObject({ preset: 'default', env: 'Acrobot-v1', targetUpdate: 'soft', lr: 1.5e-3 });
  });
});
