/**
 * `npm run check:solve [-- --backend cpu|webgpu] [--seeds 0,1,2,3,4] [--jobs 2] [--preset default]`
 *
 * Trains one run per seed with the real CLI (node bin/train.js, default preset: at most 50k env
 * steps), evaluates each run's kept weights greedily over 100 episodes, prints a table and JSON,
 * and exits non-zero unless at least `--need` (default 4) seeds reach the solve threshold (475).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const value = (flag: string, fallback: string) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const backend = value('--backend', 'cpu');
const seeds = value('--seeds', '0,1,2,3,4').split(',').map(Number);
const jobs = Number(value('--jobs', '2'));
const need = Number(value('--need', String(Math.min(4, seeds.length))));
const presetName = value('--preset', 'default');
const extra = value('--extra', '').split(' ').filter(Boolean);
const root = resolve(import.meta.dirname, '..');
const outRoot = resolve(value('--out', join(root, 'runs', 'check-solve')));
mkdirSync(outRoot, { recursive: true });

interface SeedResult {
  seed: number;
  mean: number;
  std: number;
  steps: number;
  /** Env step at which the kept (best evaluated) weights were taken. */
  weightsFromStep: number;
  trainSeconds: number;
  wallSeconds: number;
  solved: boolean;
}

function runSeed(seed: number): Promise<SeedResult> {
  const out = join(outRoot, `${backend}-${presetName}-seed${seed}`);
  const started = performance.now();
  const argv = [join(root, 'bin', 'train.js'), '--backend', backend, '--preset', presetName, '--seed', String(seed), '--out', out, '--save', join(out, 'final.npz'), '--final-eval-episodes', '100', '--video', join(out, 'eval.gif'), ...extra];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    child.on('close', (code) => {
      writeFileSync(join(out, 'train.log'), log);
      if (code !== 0) return fail(new Error(`seed ${seed} exited with ${code}:\n${log.slice(-2000)}`));
      const evalJson = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { mean: number; std: number; steps: number; weightsFromStep: number; wallTimeS: number };
      const result = {
        seed,
        mean: evalJson.mean,
        std: evalJson.std,
        steps: evalJson.steps,
        weightsFromStep: evalJson.weightsFromStep,
        trainSeconds: evalJson.wallTimeS,
        wallSeconds: (performance.now() - started) / 1000,
        solved: evalJson.mean >= 475,
      };
      process.stderr.write(`seed ${seed}: mean ${result.mean.toFixed(1)} +/- ${result.std.toFixed(1)} (weights of step ${result.weightsFromStep} of ${result.steps}), ${result.trainSeconds.toFixed(0)} s training${result.solved ? ' (solved)' : ''}\n`);
      done(result);
    });
  });
}

const queue = [...seeds];
const results: SeedResult[] = [];
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) results.push(await runSeed(seed));
  }),
);
results.sort((a, b) => a.seed - b.seed);
const solved = results.filter((r) => r.solved).length;
const summary = { backend, preset: presetName, threshold: 475, evalEpisodes: 100, solved, of: results.length, need, results };
writeFileSync(join(outRoot, `${backend}-${presetName}.json`), JSON.stringify(summary, null, 2) + '\n');
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
process.stderr.write(`${solved}/${results.length} seeds solved CartPole-v1 on ${backend} (need ${need})\n`);
if (solved < need) process.exitCode = 1;
