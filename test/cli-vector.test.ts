/**
 * The CLI with N envs: --num-envs and --acting-groups reach the trainer and the banner, and
 * --backend webgpu trains with the vector preset unless --preset says otherwise (a real child
 * process on the real Dawn device).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
gpu?.destroy();
const dir = mkdtempSync(join(tmpdir(), 'cli-vector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = new URL('../bin/train.js', import.meta.url).pathname;

function train(args: string[]): { status: number | null; stdout: string; stderr: string; config: Record<string, unknown> } {
  const out = join(dir, `run-${Math.random().toString(36).slice(2)}`);
  const run = spawnSync(process.execPath, [bin, '--steps', '64', '--learning-starts', '32', '--eval-freq', '0', '--final-eval-episodes', '2', '--no-video', '--out', out, '--save', join(out, 'w.npz'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  const config = run.status === 0 ? (JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>) : {};
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, config };
}

describe('the CLI with N envs', () => {
  it('trains 8 envs in 2 acting groups on the CPU and says so', () => {
    const run = train(['--backend', 'cpu', '--num-envs', '8', '--acting-groups', '2']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\| preset default \|.*\| 8 envs in 2 acting groups \| 64 steps/);
    expect(run.config).toMatchObject({ preset: 'default', numEnvs: 8, actingGroups: 2 });
  });

  it('refuses an odd number of envs in two acting groups, naming the field', () => {
    const run = train(['--backend', 'cpu', '--num-envs', '3', '--acting-groups', '2']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--acting-groups 2 needs an even --num-envs, got 3/);
  });

  it('trains with the vector preset on --backend webgpu unless --preset is given', needs('webgpu', gpu !== null), () => {
    const vector = train(['--backend', 'webgpu']);
    expect(vector.status).toBe(0);
    expect(vector.stdout).toMatch(/\| preset vector \|.*\| 16 envs \|/);
    expect(vector.config).toMatchObject({ preset: 'vector', numEnvs: 16, gradientSteps: 8, trainFreq: 1 });
    const chosen = train(['--backend', 'webgpu', '--preset', 'default']);
    expect(chosen.status).toBe(0);
    expect(chosen.config).toMatchObject({ preset: 'default', numEnvs: 1 });
  });
});
