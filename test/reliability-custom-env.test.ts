/**
 * Custom env modules from the CLI (`--env ./my-env.js`, docs/custom-envs.md), each case a real
 * module file written to a temp folder and the real CLI in a child process: a module that throws
 * on import, an env whose step never returns, an env that returns NaN (found by checkEnv before
 * training, or only after many steps, mid-training), and a module that trains, resumes without
 * --env (exactly) and evaluates. Each test title starts with its id in docs/reliability.md ([id]).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readWeightsFile } from '../src/rl/weights-file.js';
import { ensureBuilt, readBytes, runCli, startCli } from './support/cli-process.js';

let base: string;
beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'rl-custom-env-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A fresh folder holding `files` (name -> text). */
function folder(name: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(base, `${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/**
 * A tiny seeded env, plain (no engine import): a walk on a line from -1, 0 or +1; reaching +3 ends
 * it with reward 1, -3 with -1, each other step -0.01. `hooks` replaces parts of step.
 */
function lineEnv(hooks: { beforeStep?: string; observation?: string; exports?: string } = {}): string {
  return `// A walk on a line (test module)
export default class Line {
  observationSpace = { shape: [2], low: -1, high: 1 };
  actionSpace = { n: 2 };
  seed = 1;
  done = true;
  steps = 0;
  random() { this.seed = (this.seed * 16807) % 2147483647; return this.seed / 2147483647; }
  reset(options = {}) {
    if (options.seed !== undefined) this.seed = ((options.seed * 7919) % 2147483646) + 1;
    this.x = Math.floor(this.random() * 3) - 1;
    this.t = 0;
    this.done = false;
    return [[this.x / 3, this.random() * 0.02], {}];
  }
  step(action) {
    ${hooks.beforeStep ?? ''}
    if (this.done) throw new Error('call reset() before step()');
    if (action !== 0 && action !== 1) throw new Error('action ' + action + ' is not 0 or 1');
    this.x += action === 1 ? 1 : -1;
    this.t++;
    this.steps++;
    const terminated = Math.abs(this.x) >= 3;
    this.done = terminated;
    const observation = ${hooks.observation ?? '[this.x / 3, Math.min(1, this.t / 50)]'};
    return [observation, this.x >= 3 ? 1 : terminated ? -1 : -0.01, terminated, false, {}];
  }
}
export const id = 'Line-v0';
export const maxEpisodeSteps = 50;
${hooks.exports ?? ''}
`;
}

/** A small DQN run on the CPU. */
const DQN = ['--backend', 'cpu', '--hidden', '16', '--learning-starts', '200', '--train-freq', '4', '--batch-size', '32', '--eval-freq', '0', '--final-eval-episodes', '5'];

describe('custom env modules from the CLI', () => {
  it('[env-module-throws-on-import] a module that throws on import: exit 2 naming the module and its message, nothing created', () => {
    const dir = folder('throws', { 'bad-env.js': `const level = null;\nlevel.width;\nexport default class Bad {}\n` });
    const r = runCli(['--env', './bad-env.js', ...DQN, '--steps', '1000'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: env module '\.\/bad-env\.js' threw on import: Cannot read properties of null \(reading 'width'\)\n$/);
    expect(readdirSync(dir)).toEqual(['bad-env.js']);
  });

  it('[env-module-missing] a module that is not there, or has no default export: exit 2 naming it', () => {
    const dir = folder('missing', { 'named.js': `export class Line {}\n` });
    const missing = runCli(['--env', './nope.js', ...DQN], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: env module './nope.js': no such file '${join(dir, 'nope.js')}'\n`);
    const named = runCli(['--env', './named.js', ...DQN], dir);
    expect(named.code).toBe(2);
    expect(named.stderr).toBe("error: env module './named.js': has no default export; export default the env class, or a factory function (options) => env\n");
    expect(readdirSync(dir)).toEqual(['named.js']);
  });

  it('[env-step-never-returns] an env whose step never returns: checkEnv in a worker times out, exit 2 naming step(), no hang', () => {
    const dir = folder('hangs', {
      'stuck.js': lineEnv({ beforeStep: 'if (this.t === 2) for (;;) {}' }),
      'stuck-import.js': `for (;;) {}\nexport default class Never {}\n`,
    });
    const started = performance.now();
    const r = runCli(['--env', './stuck.js', '--env-check-timeout', '2', ...DQN, '--steps', '1000'], dir);
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: env module './stuck.js': the env's step() did not return within 2 s while checkEnv ran it in a worker (an endless loop?); nothing was trained. Fix the env, or give --env-check-timeout <seconds> for a slow one\n",
    );
    expect(seconds).toBeLessThan(30);
    const atImport = runCli(['--env', './stuck-import.js', '--env-check-timeout', '1', ...DQN], dir);
    expect(atImport.code).toBe(2);
    expect(atImport.stderr).toMatch(/^error: env module '\.\/stuck-import\.js': importing the module did not return within 1 s/);
    expect(readdirSync(dir).sort()).toEqual(['stuck-import.js', 'stuck.js']);
  });

  it('[env-returns-nan] an env that returns NaN: checkEnv finds it before training, exit 2 with the finding; warnings alone let training go on', () => {
    const dir = folder('nan', {
      'nan-env.js': lineEnv({ observation: '[this.x / 3, this.t === 3 ? NaN : 0]' }),
      'lenient.js': lineEnv({ beforeStep: 'this.done = false;' }),
    });
    const r = runCli(['--env', './nan-env.js', ...DQN, '--steps', '1000'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: env module './nan-env.js' (env 'Line-v0') fails checkEnv with 1 error; nothing was trained (docs/custom-envs.md says what each check expects):\n" +
        '  - step(): observation[1] is NaN, expected a number in [-1, 1] (at step 3 of the episodes run after reset({ seed: 0 }))\n',
    );
    expect(readdirSync(dir).sort()).toEqual(['lenient.js', 'nan-env.js']);
    // A warning (a step after terminated taken) is printed, and the run trains.
    const warned = runCli(['--env', './lenient.js', ...DQN, '--steps', '300', '--final-eval-episodes', '0', '--no-video', '--out', 'run'], dir);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/^warning: env 'Line-v0' \(\.\/lenient\.js\): step\([01]\) after terminated = true \(step \d+\), without reset\(\), was accepted/);
    expect(warned.stdout).toMatch(/finished: 300 steps/);
  });

  it('[env-nan-mid-training] an env that returns NaN only after 1500 steps: the run stops at that step naming the env, the last checkpoint stays good', () => {
    const dir = folder('late-nan', { 'late.js': lineEnv({ observation: '[this.x / 3, this.steps === 1500 ? NaN : Math.min(1, this.t / 50)]' }) });
    const r = runCli(['--env', './late.js', ...DQN, '--steps', '3000', '--checkpoint-every', '1000', '--out', 'run', '--save', 'w.npz'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: env 'Line-v0' step\(\) \(step 1500 of the env, \d+ of its episode \d+\): observation\[1\] is NaN, expected a finite number \(a NaN or infinite value would poison the network, so training stops here\); the run stopped at training step 1499 with no update made from it; the last checkpoint is run\/checkpoint\.zip \(step 1000\), written before it\. Fix the env \(checkEnv passed before training: this showed up only later\)\n$/,
    );
    expect(existsSync(join(dir, 'w.npz'))).toBe(false);
    const checkpoint = openCheckpoint(readBytes(join(dir, 'run', 'checkpoint.zip')), 'checkpoint.zip');
    expect((checkpoint.meta as { steps: number }).steps).toBe(1000);
  });

  it('[env-throws-mid-training] an env that throws at its 1200th step: the run stops naming the env, the step and the message', () => {
    const dir = folder('late-throw', { 'late.js': lineEnv({ beforeStep: "if (this.steps === 1199) throw new Error('lost the level file');" }) });
    const r = runCli(['--env', './late.js', ...DQN, '--steps', '3000', '--checkpoint-every', '1000', '--out', 'run', '--save', 'w.npz'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: env 'Line-v0' step\(\) \(step 1200 of the env, \d+ of its episode \d+\) threw: lost the level file; the run stopped at training step 1199 with no update made from it; the last checkpoint is run\/checkpoint\.zip \(step 1000\), written before it\. Fix the env \(checkEnv passed before training: this showed up only later\)\n$/,
    );
    expect(existsSync(join(dir, 'w.npz'))).toBe(false);
  });

  it('[env-module-trains-and-resumes] a custom env module trains from the CLI, resumes from its checkpoint without --env exactly, and evaluates without --env', async () => {
    const dir = folder('trains', { 'line.js': lineEnv() });
    const full = runCli(['--env', './line.js', ...DQN, '--steps', '3000', '--checkpoint-every', '1500', '--out', 'full', '--save', 'full.npz', '--no-video'], dir);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/^training DQN on Line-v0 \|/m);
    const mean = Number(/greedy evaluation over 5 episodes: mean return (-?[\d.]+)/.exec(full.stdout)?.[1]);
    expect(mean).toBeGreaterThan(0.9); // it learned to walk right: +1 minus a few -0.01 steps
    // The records: config.json, the checkpoint's run record and the weights file name the module.
    const source = join(dir, 'line.js');
    expect(JSON.parse(readFileSync(join(dir, 'full', 'config.json'), 'utf8'))).toMatchObject({ env: 'Line-v0', envSource: source });
    expect(readWeightsFile(readBytes(join(dir, 'full.npz')), 'full.npz').network).toMatchObject({ env: 'Line-v0', envSource: source });

    // The same run stopped by Ctrl-C past step 1000, then --resume without --env: the same weights, byte for byte.
    let sent = false;
    const part = await startCli(['--env', './line.js', ...DQN, '--steps', '3000', '--checkpoint-every', '1500', '--out', 'part', '--save', 'part.npz', '--no-video', '--log-every', '1'], dir, (text, child) => {
      if (!sent && /steps (1\d{3}|2\d{3})/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(part.code, part.stderr).toBe(130);
    const resumed = runCli(['--resume', 'part/checkpoint.zip', '--save', 'resumed.npz', '--no-video'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from part\/checkpoint\.zip at step (1\d{3}|2\d{3})/);
    expect(readBytes(join(dir, 'resumed.npz'))).toEqual(readBytes(join(dir, 'full.npz')));

    // --mode eval finds the env from the weights file.
    const evaluated = runCli(['--mode', 'eval', '--load', 'full.npz', '--backend', 'cpu', '--final-eval-episodes', '3'], dir);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/on Line-v0, backend cpu/);
    expect(evaluated.stdout).toMatch(/^video: skipped, Line-v0 renders no frames \(built with renderMode 'rgb_array', its renderMode is null; a render\(\) returning RGBA frames makes one: docs\/custom-envs\.md\)$/m);
  });

  it('[env-module-moved] a recorded module that is gone: --resume and --mode eval say which and to pass --env', () => {
    const dir = folder('moved', { 'line.js': lineEnv() });
    const r = runCli(['--env', './line.js', ...DQN, '--steps', '400', '--final-eval-episodes', '0', '--out', 'run', '--save', 'w.npz', '--no-video'], dir);
    expect(r.code, r.stderr).toBe(0);
    renameSync(join(dir, 'line.js'), join(dir, 'moved.js'));
    const source = join(dir, 'line.js');
    const resume = runCli(['--resume', 'run/checkpoint.zip', '--steps', '800', '--no-video'], dir);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toBe(
      `error: --resume 'run/checkpoint.zip': its env 'Line-v0' came from '${source}', which cannot be loaded now (env module '${source}': no such file '${source}'): pass --env <the env's module> to load it from where it is\n`,
    );
    const evaluated = runCli(['--mode', 'eval', '--load', 'w.npz', '--backend', 'cpu', '--final-eval-episodes', '1', '--no-video'], dir);
    expect(evaluated.code).toBe(2);
    expect(evaluated.stderr).toMatch(/^error: --load 'w\.npz': its env 'Line-v0' came from '.*line\.js', which cannot be loaded now/);
    // --env names where it is now.
    const found = runCli(['--resume', 'run/checkpoint.zip', '--env', './moved.js', '--steps', '800', '--no-video'], dir);
    expect(found.code, found.stderr).toBe(0);
  });

  it('[env-module-on-device] a custom env with --env-on device (PQN): exit 2 with the reason; auto trains on host envs', () => {
    const dir = folder('device', { 'line.js': lineEnv() });
    const r = runCli(['--env', './line.js', '--algo', 'pqn', '--backend', 'cpu', '--env-on', 'device', '--steps', '512'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: --env-on device: Line-v0 is a custom env (from '${join(dir, 'line.js')}'): custom envs step on the host only (the device envs are WGSL kernels of the built-in CartPole-v1, Acrobot-v1, MountainCar-v0); use --env-on host, or auto, which picks host for it (--env Line-v0)\n`,
    );
    const auto = runCli(['--env', './line.js', '--algo', 'pqn', '--backend', 'cpu', '--steps', '512', '--final-eval-episodes', '0', '--no-video', '--out', 'run'], dir);
    expect(auto.code, auto.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8'))).toMatchObject({ env: 'Line-v0', envOn: 'host' });
  });
});
