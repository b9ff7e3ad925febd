/**
 * A training run stopped from outside, on real child processes: SIGINT (Ctrl-C), SIGTERM
 * (`timeout`, `docker stop`) and SIGHUP (a closed terminal or SSH session) each save a checkpoint
 * and the weights and print how to resume; the resumed run ends with exactly the weights of an
 * uninterrupted one (DQN, and PPO with its normalisation statistics). A second signal exits at
 * once with the saved files intact. A closed stdout (`| head`) does not end the run. Ctrl-C is
 * heard within a step or two even when each step is a large update. Test titles start with their
 * id in docs/reliability.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { readNpz } from '../src/io/npz.js';
import { PPO_CHECKPOINT } from '../src/rl/ppo-checkpoint.js';
import { decodeTrainerCheckpoint } from '../src/rl/trainer-checkpoint.js';
import { QUICK, bin, childEnv, ensureBuilt, readBytes, runCli, startCli } from './support/cli-process.js';

let dir: string;
const ARGS = [...QUICK, '--steps', '1500', '--seed', '9', '--checkpoint-every', '400'];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rl-signals-'));
  const reference = runCli([...ARGS, '--out', 'reference', '--save', 'reference.npz'], dir);
  expect(reference.code, reference.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tempFilesIn(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.endsWith('.tmp'));
}

describe('signals stop a run after saving, and --resume continues it exactly', () => {
  const SIGNALS = [
    ['signal-sigint', 'SIGINT'],
    ['signal-sigterm', 'SIGTERM'],
    ['signal-sighup', 'SIGHUP'],
  ] as const;
  for (const [id, signal] of SIGNALS) {
    it(`[${id}] ${signal}: checkpoint, weights and the resume command; the resumed run's weights equal an uninterrupted run's`, async () => {
      const out = `part-${signal}`;
      let sent = false;
      const r = await startCli([...ARGS, '--out', out, '--save', `${out}.npz`, '--log-every', '5'], dir, (text, child) => {
        if (!sent && /episode 10 /.test(text)) {
          sent = true;
          child.kill(signal);
        }
      });
      expect(sent).toBe(true);
      expect(r.code).toBe(128 + constants.signals[signal]);
      expect(r.stdout).toMatch(new RegExp(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping to save a checkpoint and the weights`));
      expect(r.stdout).toMatch(/stopped: \d+ steps/);
      expect(r.stdout).toContain(`continue with --resume ${out}/checkpoint.zip`);
      expect(r.stderr).toBe('');
      // The weights were saved at the stop, and the checkpoint holds the step it stopped at.
      const stoppedAt = Number(/stopped: (\d+) steps/.exec(r.stdout)?.[1]);
      expect(readNpz(readBytes(join(dir, `${out}.npz`))).has('network')).toBe(true);
      expect(decodeTrainerCheckpoint(readBytes(join(dir, out, 'checkpoint.zip')), 'c').state.steps).toBe(stoppedAt);
      expect(stoppedAt).toBeLessThan(1500);
      const resumed = runCli(['--resume', join(out, 'checkpoint.zip'), '--save', `resumed-${signal}.npz`], dir);
      expect(resumed.stderr).toMatch(/^(backend auto: [^\n]+\n)?$/);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/finished: 1500 steps/);
      expect(readFileSync(join(dir, `resumed-${signal}.npz`))).toEqual(readFileSync(join(dir, 'reference.npz')));
      expect(tempFilesIn(join(dir, out))).toEqual([]);
    });
  }

  it("[ppo-signal-resume] PPO (Pendulum-v1, Box actions, both normalisations): Ctrl-C saves its checkpoint; the resumed run's weights, state and metrics equal an uninterrupted run's", async () => {
    // The checkpoint carries what PPO adds: the log-std, the observation and return statistics, open episodes of Box actions.
    const ppo = ['--algo', 'ppo', '--backend', 'cpu', '--env', 'Pendulum-v1', '--hidden', '16,16', '--num-envs', '4', '--num-steps', '64', '--num-minibatches', '4', '--update-epochs', '2'];
    const args = [...ppo, '--normalize-observation', '--normalize-reward', '--steps', '204800', '--seed', '5', '--eval-freq', '16384', '--eval-episodes', '2', '--final-eval-episodes', '0', '--no-video', '--checkpoint-every', '8192'];
    const whole = runCli([...args, '--out', 'ppo-whole', '--save', 'ppo-whole.npz'], dir);
    expect(whole.code, whole.stderr).toBe(0);
    let sent = false;
    const part = await startCli([...args, '--out', 'ppo-part', '--save', 'ppo-part.npz', '--log-every', '5'], dir, (text, child) => {
      if (!sent && /^episode 100 /m.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(part.code, part.stderr).toBe(130);
    expect(part.stderr).toBe('');
    expect(part.stdout).toMatch(/Ctrl-C: stopping to save a checkpoint and the weights/);
    expect(part.stdout).toContain('continue with --resume ppo-part/checkpoint.zip');
    const stoppedAt = Number(/stopped: (\d+) steps/.exec(part.stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(204800);
    expect(stoppedAt % 256).toBe(0);
    const resumed = runCli(['--resume', join('ppo-part', 'checkpoint.zip'), '--backend', 'cpu', '--save', 'ppo-resumed.npz'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(new RegExp(`resumed from ppo-part/checkpoint.zip at step ${stoppedAt}`));
    expect(resumed.stdout).toMatch(/finished: 204800 steps/);
    expect(readFileSync(join(dir, 'ppo-resumed.npz'))).toEqual(readFileSync(join(dir, 'ppo-whole.npz')));
    // The final checkpoints hold the same state: weights, Adam's moments, statistics, open episodes, generators, the best weights.
    const state = (folder: string) => PPO_CHECKPOINT.decode(openCheckpoint(readBytes(join(dir, folder, 'checkpoint.zip')), 'c')).state;
    expect(state('ppo-part')).toEqual(state('ppo-whole'));
    const rows = (folder: string) => readFileSync(join(dir, folder, 'metrics.csv'), 'utf8').split('\n').map((line) => line.split(',').slice(0, 6).join(','));
    expect(rows('ppo-part')).toEqual(rows('ppo-whole'));
    expect(readFileSync(join(dir, 'ppo-part', 'evaluations.csv'), 'utf8')).toEqual(readFileSync(join(dir, 'ppo-whole', 'evaluations.csv'), 'utf8'));
    expect(tempFilesIn(join(dir, 'ppo-part'))).toEqual([]);
  });

  it('[signal-twice] a second signal exits at once; the files saved before stay intact and resumable', async () => {
    // A large replay buffer makes saving take a while, so the second SIGTERM lands during the save.
    const out = 'twice';
    let first = false;
    let second = false;
    const r = await startCli([...ARGS, '--steps', '200000', '--buffer-size', '1000000', '--out', out, '--save', `${out}.npz`, '--log-every', '1', '--checkpoint-every', '300'], dir, (text, child) => {
      const steps = [...text.matchAll(/^episode \d+ +steps (\d+)/gm)].map((m) => Number(m[1])).at(-1) ?? 0;
      if (!first && steps > 330) {
        first = true;
        child.kill('SIGTERM');
      }
      if (first && !second && /SIGTERM: stopping to save/.test(text)) {
        second = true;
        child.kill('SIGTERM');
      }
    });
    expect(second).toBe(true);
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/SIGTERM again: stopped at once without saving more \(files already saved are intact\)/);
    expect(r.stdout).not.toMatch(/^weights: /m);
    expect(tempFilesIn(join(dir, out))).toEqual([]);
    expect(readdirSync(join(dir, out))).not.toContain('.run.lock');
    // The checkpoint written before the signals is whole and resumes.
    const checkpoint = decodeTrainerCheckpoint(readBytes(join(dir, out, 'checkpoint.zip')), 'c');
    expect(checkpoint.state.steps % 300).toBe(0);
    const resumed = runCli(['--resume', join(out, 'checkpoint.zip'), '--steps', String(checkpoint.state.steps + 100), '--save', 'after-twice.npz'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
  });

  it('[closed-stdout] `| head` closes stdout: the run goes on, saves everything and exits 0 without a stack trace', () => {
    const command = `"${process.execPath}" "${bin}" ${[...ARGS, '--out', 'piped', '--save', 'piped.npz', '--log-every', '1'].join(' ')} | head -n 2; exit \${PIPESTATUS[0]}`;
    const r = spawnSync('bash', ['-c', command], { cwd: dir, encoding: 'utf8', env: childEnv(), timeout: 120_000 });
    expect(r.stdout.split('\n').filter((line) => line !== '')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'piped.npz'))).toEqual(readFileSync(join(dir, 'reference.npz')));
    expect(existsSync(join(dir, 'piped', 'checkpoint.zip'))).toBe(true);
  });

  it('[prompt-stop] Ctrl-C stops within a few steps even when every step is a large update', async () => {
    // 384-384 net, batch 256, an update every step: about 0.1 s per step here. The old loop heard
    // signals only between 256-step slices, so it ran on for hundreds of steps (tens of seconds).
    const args = ['--backend', 'cpu', '--hidden', '384,384', '--batch-size', '256', '--learning-starts', '10', '--train-freq', '1', '--eval-freq', '0', '--final-eval-episodes', '0', '--no-video'];
    let sent = false;
    let sentAfter = 0;
    const r = await startCli([...args, '--steps', '100000', '--out', 'prompt', '--save', 'prompt.npz', '--log-every', '1'], dir, (text, child) => {
      const match = /episode 2 +steps (\d+)/.exec(text);
      if (!sent && match) {
        sent = true;
        sentAfter = Number(match[1]);
        child.kill('SIGINT');
      }
    });
    expect(r.code).toBe(130);
    const stoppedAt = Number(/stopped: (\d+) steps/.exec(r.stdout)?.[1]);
    expect(stoppedAt - sentAfter).toBeLessThan(64);
  });
});
