/**
 * Bad input to the training CLI, as a user gives it, on a real child process: every case must end
 * with exit code 2 and exactly one stderr line "error: ..." naming the flag, file or field, no
 * stack trace, no hang (a run is killed after 2 minutes), and nothing left in the working folder.
 * Each test title starts with its id in docs/reliability.md ([id]).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMlpWeightsNpz } from '../src/io/mlp-weights.js';
import { parseMetricsCsv } from '../src/metrics/csv-log.js';
import { QUICK, canUnshareMount, editCheckpoint, ensureBuilt, flipBit, readBytes, runCli, runCliOnMount, startCli } from './support/cli-process.js';
import { failOnCi, needs } from './support/requirements.js';

let base: string;

beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'rl-bad-input-'));
  // A finished run and two weights files to damage (relu and tanh networks).
  const made = runCli([...QUICK, '--steps', '400', '--out', 'run', '--save', 'relu.npz', '--checkpoint-every', '200'], base);
  expect(made.code, made.stderr).toBe(0);
  expect(runCli([...QUICK, '--steps', '200', '--activation', 'tanh', '--out', 'run-tanh', '--save', 'tanh.npz'], base).code).toBe(0);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface BadInput {
  id: string;
  args: string[];
  /** Files to put into the case's folder first (name -> bytes or text). */
  files?: (dir: string) => Record<string, Uint8Array | string>;
  stderr: RegExp;
  env?: Record<string, string>;
}

const checkpoint = () => readBytes(join(base, 'run', 'checkpoint.zip'));
const reluWeights = () => readBytes(join(base, 'relu.npz'));
const nanWeights = () => {
  const layer = (inputs: number, outputs: number) => ({ inputs, outputs, weight: new Float64Array(inputs * outputs).fill(0.5), bias: new Float64Array(outputs) });
  const layers = [layer(4, 8), layer(8, 2)];
  layers[1].weight[3] = Number.NaN;
  return encodeMlpWeightsNpz(layers);
};
const edited = (edit: Parameters<typeof editCheckpoint>[1]) => () => ({ 'c.zip': editCheckpoint(checkpoint(), edit) });

const CASES: BadInput[] = [
  // Flags.
  { id: 'flag-not-integer', args: ['--seed', '1.5'], stderr: /--seed expects a non-negative integer, got '1\.5'/ },
  { id: 'flag-steps-1e20', args: ['--steps', '1e20'], stderr: /--steps expects a non-negative integer, got '1e20'/ },
  { id: 'flag-not-number', args: ['--lr', 'fast'], stderr: /--lr expects a number, got 'fast'/ },
  { id: 'flag-unknown', args: ['--bogus'], stderr: /unknown option '--bogus'/ },
  { id: 'flag-extra-argument', args: ['train'], stderr: /too many arguments/ },
  { id: 'flag-bad-choice', args: ['--activation', 'swish'], stderr: /--activation <value>' argument 'swish' is invalid\. Allowed choices are/ },
  { id: 'flag-out-of-range', args: ['--gamma', '1.5'], stderr: /--gamma must be in \[0, 1\], got 1\.5/ },
  { id: 'flag-no-budget', args: ['--steps', '0', '--episodes', '0'], stderr: /set a budget: --steps or --episodes must be positive/ },
  { id: 'batch-larger-than-buffer', args: ['--batch-size', '1000', '--buffer-size', '500'], stderr: /--batch-size 1000 is larger than --buffer-size 500/ },
  { id: 'quantiles-with-mse', args: ['--quantiles', '25', '--loss', 'mse'], stderr: /--quantiles 25 \(QR-DQN\) needs --loss 'huber', the quantile Huber loss; got 'mse'/ },
  { id: 'quantiles-with-dueling', args: ['--quantiles', '25', '--dueling'], stderr: /--quantiles 25 \(QR-DQN\) does not go with --dueling: a dueling head has one value per action/ },
  { id: 'munchausen-with-double', args: ['--munchausen', '0.9'], stderr: /--munchausen 0\.9 does not go with --double-dqn: its target bootstraps from the soft value of s', not a max to de-bias \(turn --double-dqn off\)/ },
  { id: 'shaping-wrong-env', args: ['--env', 'Acrobot-v1', '--reward-shaping', 'cartpole-position'], stderr: /--reward-shaping 'cartpole-position' is made for the CartPole envs .* not Acrobot-v1/ },
  // DQN and PQN act by the argmax of Q: an env with Box (continuous) actions is refused by name.
  { id: 'continuous-env-dqn', args: ['--env', 'Pendulum-v1'], stderr: /--env Pendulum-v1 has continuous actions \(Box\(-2\.0, 2\.0, \(1,\), float32\)\), which DQN cannot take \(it needs Discrete actions\): train it with PPO \(--algo ppo\), which takes Box actions\n$/ },
  { id: 'continuous-env-pqn', args: ['--algo', 'pqn', '--env', 'MountainCarContinuous-v0'], stderr: /--env MountainCarContinuous-v0 has continuous actions \(Box\(-1\.0, 1\.0, \(1,\), float32\)\), which PQN cannot take/ },
  // Sizes that cannot fit, refused before anything is allocated.
  { id: 'size-array-limit', args: ['--hidden', '100000,100000'], stderr: /--hidden 100000,100000: the network would need an array of 10,000,800,002 values/ },
  { id: 'size-memory', args: ['--hidden', '40000,40000'], stderr: /--hidden 40000,40000: this run needs about \d+ GB of memory .* more than the [\d.]+ [GT]B this machine has/ },
  { id: 'size-replay', args: ['--buffer-size', '1000000000'], stderr: /--buffer-size 1000000000: the replay buffer .* would need an array of 41,000,000,000 values/ },
  // Was: 77 s of training, then a crash on the WASM memory's 4 GiB limit, nothing saved.
  {
    id: 'size-wasm-memory',
    args: ['--backend', 'cpu', '--hidden', '2048,2048', '--batch-size', '65536'],
    stderr: /--hidden 2048,2048, --batch-size 65536: the CPU backend's WebAssembly memory would need about [\d.]+ GB \(the network [\d.]+ MB, the minibatch activations [\d.]+ GB\), more than the 4\.29 GB a WebAssembly memory can hold; a smaller --hidden or --batch-size fits/,
  },
  // Output paths, checked before training.
  { id: 'path-empty', args: ['--save', ''], stderr: /--save: the path is empty/ },
  { id: 'path-is-folder', args: ['--save', '.'], stderr: /--save '\.' is a folder; give a file name/ },
  { id: 'path-trailing-slash', args: ['--save', 'out/'], stderr: /--save 'out\/' names a folder; give a file name/ },
  { id: 'path-device', args: ['--save', '/dev/null'], stderr: /--save '\/dev\/null' is not a regular file/ },
  { id: 'path-proc-file', args: ['--save', '/proc/weights.npz'], stderr: /--save '\/proc\/weights\.npz': cannot write in '\/proc': it accepts no new files/ },
  { id: 'path-proc-folder', args: ['--out', '/proc/runs/a'], stderr: /--out '\/proc\/runs\/a': cannot create the folder '\/proc\/runs': '\/proc' accepts no new folders/ },
  { id: 'path-video-proc', args: ['--video', '/proc/1/videos/x.gif'], stderr: /--video '\/proc\/1\/videos\/x\.gif': cannot create the folder '\/proc\/1\/videos'/ },
  { id: 'path-under-a-file', args: ['--save', 'f/w.npz'], files: () => ({ f: 'a file' }), stderr: /--save 'f\/w\.npz': a part of the path is a file, not a folder/ },
  { id: 'path-out-is-file', args: ['--out', 'f'], files: () => ({ f: 'a file' }), stderr: /--out 'f' exists and is not a folder/ },
  { id: 'path-same-file-twice', args: ['--save', 'x.gif', '--video', 'x.gif'], stderr: /--save and --video name the same file 'x\.gif'/ },
  // Every pair of paths a run reads or writes, the run folder's own files included, after resolving folders and links.
  { id: 'path-save-is-run-file', args: ['--out', 'r', '--save', 'r/learning-curve.png'], stderr: /--save and the run's learning-curve\.png name the same file/ },
  { id: 'path-video-is-run-file', args: ['--out', 'r', '--video', 'r/dqn_weights.npz'], stderr: /--video and the run's dqn_weights\.npz name the same file/ },
  { id: 'path-same-file-via-link', args: ['--out', 'r', '--save', 'alias/learning-curve.svg'], files: (dir) => (mkdirSync(join(dir, 'r')), symlinkSync('r', join(dir, 'alias')), {}), stderr: /--save and the run's learning-curve\.svg name the same file 'alias\/learning-curve\.svg'/ },
  { id: 'path-load-is-video', args: ['--mode', 'eval', '--load', 'w.npz', '--video', 'w.npz'], files: () => ({ 'w.npz': reluWeights() }), stderr: /--load 'w\.npz' and --video 'w\.npz' are the same file: writing --video would replace what --load reads/ },
  { id: 'path-video-is-load-target', args: ['--mode', 'eval', '--load', 'link.npz', '--video', 'w.npz'], files: (dir) => (symlinkSync('w.npz', join(dir, 'link.npz')), { 'w.npz': reluWeights() }), stderr: /--load 'link\.npz' \(it leads to '.*\/w\.npz'\) and --video 'w\.npz' are the same file/ },
  { id: 'path-load-is-save', args: ['--load', 'w.npz', '--save', 'w.npz'], files: () => ({ 'w.npz': reluWeights() }), stderr: /--load 'w\.npz' and --save 'w\.npz' are the same file: writing --save would replace what --load reads/ },
  { id: 'path-resume-is-save', args: ['--resume', 'c.zip', '--save', 'c.zip'], files: () => ({ 'c.zip': checkpoint() }), stderr: /--resume 'c\.zip' and --save 'c\.zip' are the same file/ },
  { id: 'out-holds-a-run', args: ['--out', 'old'], files: () => ({ 'old/metrics.csv': 'episode,steps,return,length,epsilon,loss,wall_time_s\n' }), stderr: /--out '.*old' already holds a run \(metrics\.csv\); continue it with --resume/ },
  // A printed command can be pasted into a shell as it is.
  { id: 'resume-command-quoted', args: ['--out', "old run's"], files: () => ({ "old run's/checkpoint.zip": checkpoint() }), stderr: /continue it with --resume 'old run'\\''s\/checkpoint\.zip', or choose another --out/ },
  // Weights files.
  { id: 'load-missing', args: ['--mode', 'eval', '--load', 'nope.npz'], stderr: /--load 'nope\.npz': no such file/ },
  { id: 'load-folder', args: ['--mode', 'eval', '--load', '.'], stderr: /--load '\.': is a folder/ },
  { id: 'load-not-zip', args: ['--mode', 'eval', '--load', 'w.npz'], files: () => ({ 'w.npz': 'hello' }), stderr: /w\.npz: not a zip archive/ },
  { id: 'load-bit-flip', args: ['--mode', 'eval', '--load', 'w.npz'], files: () => ({ 'w.npz': flipBit(reluWeights(), 200, 3) }), stderr: /w\.npz: corrupt or truncated zip: entry 'arr_0\.npy' fails its CRC-32 check/ },
  { id: 'load-truncated', args: ['--mode', 'eval', '--load', 'w.npz'], files: () => ({ 'w.npz': reluWeights().subarray(0, 700) }), stderr: /w\.npz: corrupt or truncated zip: no end-of-central-directory record/ },
  { id: 'load-nan', args: ['--mode', 'eval', '--load', 'w.npz'], files: () => ({ 'w.npz': nanWeights() }), stderr: /w\.npz: arr_2 holds NaN at index 3: weights must be finite/ },
  { id: 'load-activation-mismatch', args: ['--mode', 'eval', '--load', 'w.npz', '--activation', 'relu'], files: () => ({ 'w.npz': readBytes(join(base, 'tanh.npz')) }), stderr: /--load 'w\.npz' does not fit --activation relu \(the file's network has tanh\)/ },
  { id: 'load-quantiles-mismatch', args: ['--mode', 'eval', '--load', 'w.npz', '--quantiles', '5'], files: () => ({ 'w.npz': reluWeights() }), stderr: /--load 'w\.npz' does not fit --quantiles 5 \(the file's network has 1\)/ },
  { id: 'load-hidden-mismatch', args: ['--load', 'w.npz', '--hidden', '32'], files: () => ({ 'w.npz': reluWeights() }), stderr: /--load 'w\.npz' does not fit --hidden 32 \(the file's network has 8\)/ },
  { id: 'load-env-mismatch', args: ['--mode', 'eval', '--load', 'w.npz', '--env', 'Acrobot-v1'], files: () => ({ 'w.npz': reluWeights() }), stderr: /holds weights for 4 observations and 2 actions \(CartPole-v1\); Acrobot-v1 has 6 and 3/ },
  { id: 'eval-video-proc', args: ['--mode', 'eval', '--load', 'w.npz', '--video', '/proc/x.gif'], files: () => ({ 'w.npz': reluWeights() }), stderr: /--video '\/proc\/x\.gif': cannot write in '\/proc'/ },
  // Checkpoints.
  { id: 'resume-missing', args: ['--resume', 'nope.zip'], stderr: /--resume 'nope\.zip': no such file/ },
  { id: 'resume-bit-flip', args: ['--resume', 'c.zip'], files: () => ({ 'c.zip': flipBit(checkpoint(), 120, 0) }), stderr: /c\.zip: corrupt or truncated zip: entry '[^']*':? (fails its CRC-32 check|bad deflate data)/ },
  { id: 'resume-truncated', args: ['--resume', 'c.zip'], files: () => ({ 'c.zip': checkpoint().subarray(0, 5000) }), stderr: /c\.zip: corrupt or truncated zip/ },
  { id: 'resume-weights-file', args: ['--resume', 'c.zip'], files: () => ({ 'c.zip': reluWeights() }), stderr: /c\.zip: not a checkpoint \(no checkpoint\.json; a weights \.npz\?\)/ },
  { id: 'resume-steps-not-number', args: ['--resume', 'c.zip'], files: edited((h) => (h.meta.steps = 'many')), stderr: /c\.zip: checkpoint field 'steps' must be a non-negative integer, got "many"/ },
  { id: 'resume-missing-field', args: ['--resume', 'c.zip'], files: edited((h) => delete h.meta.optimizer), stderr: /c\.zip: checkpoint field 'optimizer' must be an object, got missing/ },
  { id: 'resume-config-steps-1e20', args: ['--resume', 'c.zip'], files: edited((h) => ((h.meta.config as Record<string, unknown>).steps = 1e20)), stderr: /c\.zip: checkpoint field 'config\.steps' must be a non-negative integer \(at most 2\^53 - 1\), got 100000000000000000000/ },
  { id: 'resume-config-wrong-kind', args: ['--resume', 'c.zip'], files: edited((h) => ((h.meta.config as Record<string, unknown>).lr = '0.01')), stderr: /c\.zip: checkpoint field 'config\.lr' must be a finite number, got '0\.01'/ },
  { id: 'resume-bad-action', args: ['--resume', 'c.zip'], files: edited((h) => ((h.meta.envs as { episodeActions: number[] }[])[0].episodeActions = [0, 1, 7])), stderr: /c\.zip: checkpoint field 'envs\[0\]\.episodeActions' must list the open episode's actions/ },
  { id: 'resume-bad-rng', args: ['--resume', 'c.zip'], files: edited((h) => (h.meta.rng = { bitGenerator: { state: 'x' } })), stderr: /c\.zip: checkpoint field 'rng' must be a generator state/ },
  { id: 'resume-conflicting-flags', args: ['--resume', 'c.zip', '--lr', '0.01', '--hidden', '64,64', '--env', 'Acrobot-v1'], files: () => ({ 'c.zip': checkpoint() }), stderr: /--resume 'c\.zip' conflicts with --env Acrobot-v1 \(the checkpoint has CartPole-v1\), --hidden 64,64 \(the checkpoint has 8\), --lr 0\.01 \(the checkpoint has 0\.0015\): a resumed run keeps/ },
  { id: 'resume-conflicting-seed-preset', args: ['--resume', 'c.zip', '--seed', '3', '--preset', 'seed'], files: () => ({ 'c.zip': checkpoint() }), stderr: /conflicts with --seed 3 \(the checkpoint has 0\), --preset seed \(the checkpoint has default\)/ },
  { id: 'resume-with-load', args: ['--resume', 'c.zip', '--load', 'w.npz'], files: () => ({ 'c.zip': checkpoint(), 'w.npz': reluWeights() }), stderr: /--load cannot be combined with --resume/ },
];

describe('bad input to node bin/train.js: exit code 2, one line naming what is wrong, nothing left behind', () => {
  for (const c of CASES) {
    it(`[${c.id}] ${c.args.join(' ')}`, () => {
      const dir = mkdtempSync(join(base, 'case-'));
      for (const [name, content] of Object.entries(c.files?.(dir) ?? {})) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), content);
      }
      const before = readdirSync(dir, { recursive: true }).sort();
      const r = runCli(c.args, dir, c.env, 60_000);
      expect(r.signal, 'no hang').toBeNull();
      expect(r.stderr).toMatch(/^error: [^\n]+\n$/);
      expect(r.stderr).toMatch(c.stderr);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
      expect(readdirSync(dir, { recursive: true }).sort()).toEqual(before);
    });
  }
});

describe('run folders and concurrent runs', () => {
  it('[out-in-use] refuses a second run on a folder a live run holds, and the first run ends intact', async () => {
    const dir = mkdtempSync(join(base, 'lock-'));
    const seen: { second: ReturnType<typeof runCli> | null } = { second: null };
    const first = await startCli([...QUICK, '--steps', '1000000', '--out', 'shared', '--save', 'a.npz', '--log-every', '1'], dir, (out, child) => {
      if (seen.second !== null || !/episode 1 /.test(out)) return;
      seen.second = runCli([...QUICK, '--steps', '300', '--out', 'shared', '--save', 'b.npz'], dir);
      child.kill('SIGINT');
    });
    expect(first.code, first.stderr).toBe(130);
    const r = seen.second as ReturnType<typeof runCli> | null;
    expect(r?.code).toBe(2);
    expect(r?.stderr).toMatch(/^error: --out '.*shared' is in use by another run \(process \d+ on .*\); wait for it to end or choose another --out\n$/);
    // The first run saved and released its folder: it resumes.
    expect(readdirSync(join(dir, 'shared'))).not.toContain('.run.lock');
    const resumed = runCli(['--resume', join('shared', 'checkpoint.zip'), '--steps', '400', '--backend', 'cpu'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
  });

  it('[out-stale-lock] takes over the lock of a run that was killed', () => {
    const dir = mkdtempSync(join(base, 'stale-'));
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r', '.run.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'long ago' }));
    const r = runCli([...QUICK, '--steps', '200', '--out', 'r', '--save', 'w.npz'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'r'))).not.toContain('.run.lock');
  });

  it('[out-trailing-slash] uses --out dir/ and --out . as given: no dir/-2 or .-2', () => {
    const dir = mkdtempSync(join(base, 'slash-'));
    expect(runCli([...QUICK, '--steps', '200', '--out', 'a/', '--save', 'w.npz'], dir).code).toBe(0);
    const here = join(dir, 'here');
    mkdirSync(here);
    expect(runCli([...QUICK, '--steps', '200', '--out', '.', '--save', 'w.npz'], here).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['a', 'here', 'w.npz']);
    expect(readdirSync(here)).toContain('checkpoint.zip');
  });

  it('[default-out-numbered] numbers the default folder when it is taken', () => {
    const dir = mkdtempSync(join(base, 'numbered-'));
    expect(runCli([...QUICK, '--steps', '200'], dir).code).toBe(0);
    expect(runCli([...QUICK, '--steps', '200'], dir).code).toBe(0);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(['CartPole-v1-default-seed0', 'CartPole-v1-default-seed0-2']);
  });

  it('[no-folder-on-failed-start] leaves no run folder when the backend cannot open (no WebGPU adapter)', () => {
    const dir = mkdtempSync(join(base, 'noadapter-'));
    const noDriver = mkdtempSync(join(base, 'no-icd-'));
    const r = runCli([...QUICK, '--backend', 'webgpu', '--steps', '200'], dir, { VK_ICD_FILENAMES: noDriver, VK_DRIVER_FILES: noDriver });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no WebGPU adapter: Dawn found none .*\n$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('[orphan-temp-files] removes temp files a killed writer left, and keeps a live one', () => {
    const dir = mkdtempSync(join(base, 'orphans-'));
    expect(runCli([...QUICK, '--steps', '200', '--out', 'r', '--save', 'w.npz', '--checkpoint-every', '100'], dir).code).toBe(0);
    const dead = 2 ** 22 + 4321;
    const orphan = `.checkpoint.zip.${dead}.3.1f2e.tmp`;
    const orphanSave = `.w.npz.${dead}.1.abc.tmp`;
    const live = `.checkpoint.zip.${process.pid}.1.abc.tmp`;
    for (const f of [join('r', orphan), join('r', live), orphanSave]) writeFileSync(join(dir, f), 'partial');
    const r = runCli(['--resume', join('r', 'checkpoint.zip'), '--steps', '300', '--backend', 'cpu', '--save', 'w.npz'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 2 temp file\(s\) left by an interrupted write/);
    expect(readdirSync(join(dir, 'r'))).not.toContain(orphan);
    expect(readdirSync(join(dir, 'r'))).toContain(live);
    expect(readdirSync(dir)).not.toContain(orphanSave);
  });
});

const unshare = canUnshareMount();
if (!unshare) failOnCi('no user namespaces (unshare -Urm) for a small or read-only mount');

describe('full and read-only file systems (a tmpfs in a private mount namespace)', needs('user-namespaces', unshare), () => {
  it('[read-only-mount] refuses a --save on a read-only mount before training, naming EROFS', () => {
    const dir = mkdtempSync(join(base, 'ro-'));
    mkdirSync(join(dir, 'ro'));
    const r = runCliOnMount([...QUICK, '--steps', '200', '--out', 'r', '--save', 'ro/w.npz'], dir, join(dir, 'ro'), 64, true);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --save 'ro\/w\.npz': cannot write in '.*\/ro': read-only file system \(EROFS\)\n$/);
    expect(readdirSync(dir)).toEqual(['ro']);
  });

  it('[disk-full] stops with the file named when the disk fills during the run (ENOSPC)', () => {
    const dir = mkdtempSync(join(base, 'full-'));
    mkdirSync(join(dir, 'small'));
    const r = runCliOnMount([...QUICK, '--steps', '3000', '--out', 'small/r', '--save', 'small/w.npz', '--checkpoint-every', '100'], dir, join(dir, 'small'), 32);
    expect(r.code).toBe(1);
    // Every output is named, and the command that continues the run elsewhere is printed.
    expect(r.stderr).toMatch(
      /^error: \d outputs could not be written: cannot write 'small\/r\/checkpoint\.zip': no space left on the device \(ENOSPC\); .*cannot write 'small\/w\.npz': no space left on the device \(ENOSPC\); .*the checkpoint small\/r\/checkpoint\.zip \(step \d+\) is intact: make room, or continue with --resume small\/r\/checkpoint\.zip --out <a folder with room> --save <a file with room>\n$/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('--resume continues the run as it was started', () => {
  it('[resume-other-out] resuming into another --out keeps the earlier metrics rows and writes where the run was told to', () => {
    const dir = mkdtempSync(join(base, 'resume-out-'));
    const first = runCli([...QUICK, '--steps', '600', '--out', 'a', '--save', 'first.npz', '--checkpoint-every', '300'], dir);
    expect(first.code, first.stderr).toBe(0);
    const before = parseMetricsCsv(readFileSync(join(dir, 'a', 'metrics.csv'), 'utf8'));
    const firstWeights = readFileSync(join(dir, 'first.npz'));
    const resumed = runCli(['--resume', join('a', 'checkpoint.zip'), '--steps', '900', '--out', 'b'], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = parseMetricsCsv(readFileSync(join(dir, 'b', 'metrics.csv'), 'utf8'));
    expect(after.slice(0, before.length).map((r) => [r.episode, r.steps, r.return])).toEqual(before.map((r) => [r.episode, r.steps, r.return]));
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.map((r) => r.episode)).toEqual(after.map((_, i) => i + 1));
    // Its --no-video and --final-eval-episodes came from the checkpoint (no GIF, no eval.json); its --save did not:
    // a path read from a checkpoint never becomes a write target. The weights went into the run folder.
    expect(resumed.stdout).toMatch(/^weights: b\/dqn_weights\.npz\n/m);
    expect(resumed.stdout).toMatch(/the checkpoint's run also saved them to '.*first\.npz': give --save to write a copy where you choose/);
    expect(readFileSync(join(dir, 'first.npz'))).toEqual(firstWeights);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b', 'first.npz']);
    expect(readdirSync(join(dir, 'b'))).not.toContain('eval.json');
  });
});

describe('weights files record their network', () => {
  it('[npz-network-record] evaluating tanh-trained weights uses tanh without a flag; numpy-rl-engine\'s loader still reads the file', () => {
    const r = runCli(['--mode', 'eval', '--load', join(base, 'tanh.npz'), '--backend', 'cpu', '--final-eval-episodes', '1', '--no-video'], base);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(4-8-2\) tanh on CartPole-v1/);
    const numpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
    if (!numpy) return; // the committed-fixture tests cover reading without NumPy
    // numpy-rl-engine's load_weights: loaded[f"arr_{i}"] for each of its parameters; the record is one more entry.
    const script = [
      'import json, sys, numpy as np',
      'loaded = np.load(sys.argv[1])',
      'params = [loaded[f"arr_{i}"] for i in range(4)]',
      'print(json.dumps({"shapes": [list(p.shape) for p in params], "network": json.loads(loaded["network"].tobytes())}))',
    ].join('\n');
    const out = JSON.parse(spawnSync('python3', ['-c', script, join(base, 'tanh.npz')], { encoding: 'utf8' }).stdout) as { shapes: number[][]; network: Record<string, unknown> };
    expect(out.shapes).toEqual([[4, 8], [1, 8], [8, 2], [1, 2]]);
    expect(out.network).toMatchObject({ format: 'webgpu-rl-engine-q-network', version: 1, hidden: [8], activation: 'tanh', dueling: false, env: 'CartPole-v1' });
  });
});
