/**
 * `npx tsx scripts/greedy-curve.ts [--env CartPole-v1] [--preset <name>] [--seeds 0-4] [--steps 200000] [--every 10000] [--config '{"lr": 5e-4}']`
 *
 * Does a preset keep what it learned? Trains each seed for `--steps` env steps (default 200k, four
 * times the CartPole budget) on the CPU backend, and every `--every` env steps evaluates the policy
 * (DqnAgent.policy: the online network, or its average with policyAverageTau; not the best kept
 * weights) greedily over 100 episodes, seeded as the CLI's final
 * evaluation (seed + 10,000). Epsilon decays over as many env steps as in the preset (its
 * explorationFraction is rescaled to the longer budget), so the run is the preset's own learning,
 * continued. Prints one row per seed: the curve, the step at which it first reached the env's
 * target, and how many later probes stayed there; `--json file` writes the curves. `--config`
 * overrides preset fields (JSON), for trying a change on a preset.
 */
import { writeFileSync } from 'node:fs';
import { openBackend } from '../src/cli/backend.js';
import { evaluatePolicy } from '../src/cli/evaluate.js';
import { preset, presetFor, type DqnConfig } from '../src/rl/config.js';
import { DqnTrainer } from '../src/rl/dqn-trainer.js';
import { TARGETS, parseSeeds } from './check-solve.js';

const args = process.argv.slice(2);
const value = (flag: string, fallback: string) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const env = value('--env', 'CartPole-v1');
const presetName = value('--preset', presetFor(env, 'cpu'));
const seeds = parseSeeds(value('--seeds', '0-4'));
const steps = Number(value('--steps', '200000'));
const every = Number(value('--every', '10000'));
const threshold = Number(value('--threshold', String(TARGETS[env]?.threshold ?? Number.NaN)));
const base = { ...preset(presetName), ...(JSON.parse(value('--config', '{}')) as Partial<DqnConfig>) };
const config = {
  ...base,
  env,
  steps,
  episodes: 0,
  explorationFraction: Math.min(1, (base.explorationFraction * base.steps) / steps),
};
const backend = await openBackend('cpu');
const rows: { seed: number; curve: [number, number][]; firstSolved: number | null; keptAfter: string }[] = [];
process.stdout.write(`greedy curve: ${env}, preset ${presetName}, ${steps} steps, 100 greedy episodes every ${every} steps (target ${threshold})\n`);
for (const seed of seeds) {
  const trainer = new DqnTrainer(backend, config, seed);
  const curve: [number, number][] = [];
  while (!trainer.done) {
    await trainer.run(every - (trainer.steps % every));
    const { mean } = await evaluatePolicy(trainer.agent.policy, env, 100, seed + 10_000);
    curve.push([trainer.steps, mean]);
  }
  trainer.dispose();
  const first = curve.findIndex(([, mean]) => mean >= threshold);
  const after = first < 0 ? [] : curve.slice(first + 1);
  const kept = after.filter(([, mean]) => mean >= threshold).length;
  const row = { seed, curve, firstSolved: first < 0 ? null : curve[first][0], keptAfter: first < 0 ? '-' : `${kept}/${after.length}` };
  rows.push(row);
  process.stdout.write(
    `seed ${seed}: first >= ${threshold} at ${row.firstSolved ?? 'never'}; later probes >= target: ${row.keptAfter} | ${curve.map(([s, m]) => `${s / 1000}k ${m.toFixed(0)}`).join(', ')}\n`,
  );
}
backend.destroy();
// The same as a markdown table (the README's "Does it keep what it learned?").
const probes = rows[0]?.curve.map(([s]) => `${s / 1000}k`) ?? [];
process.stdout.write(
  [
    '',
    `| seed | first ≥ ${threshold} at | later probes ≥ ${threshold} | ${probes.join(' | ')} |`,
    `| ---: | ---: | ---: | ${probes.map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.seed} | ${r.firstSolved === null ? 'never' : `${r.firstSolved / 1000}k`} | ${r.keptAfter} | ${r.curve.map(([, m]) => m.toFixed(0)).join(' | ')} |`),
  ].join('\n') + '\n',
);
const json = value('--json', '');
if (json !== '') writeFileSync(json, JSON.stringify({ env, preset: presetName, steps, every, threshold, config, rows }, null, 2) + '\n');
