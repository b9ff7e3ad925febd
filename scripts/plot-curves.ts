/**
 * `npx tsx scripts/plot-curves.ts --out docs/learning-curves.png "label=runs/a/metrics.csv" "label=runs/a/evaluations.csv" ...`
 * Draws several runs' learning curves in one picture (PNG, and an SVG beside it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readEvaluations } from '../src/cli/run-folder.js';
import { parseMetricsCsv } from '../src/metrics/csv-log.js';
import { renderLearningCurve, seriesFromMetrics } from '../src/metrics/plot.js';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args.splice(outIndex, 2)[1] : 'docs/learning-curves.png';
const titleIndex = args.indexOf('--title');
const title = titleIndex >= 0 ? args.splice(titleIndex, 2)[1] : 'DQN on CartPole-v1';
if (args.length === 0) throw new Error('give at least one label=path/to/metrics.csv');
// A path ending in evaluations.csv is drawn as periodic greedy evaluations (no moving mean).
const series = args.map((arg) => {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new Error(`expected label=path, got '${arg}'`);
  const label = arg.slice(0, eq);
  const path = arg.slice(eq + 1);
  if (path.endsWith('evaluations.csv')) {
    const rows = readEvaluations(path);
    return { label, steps: rows.map((r) => r.steps), returns: rows.map((r) => r.meanReturn), window: 1 };
  }
  return seriesFromMetrics(label, parseMetricsCsv(readFileSync(path, 'utf8'), path));
});
const image = renderLearningCurve({ series, title, threshold: 475, thresholdLabel: 'solved (475)' });
writeFileSync(out, image.png);
writeFileSync(out.replace(/\.png$/, '.svg'), image.svg);
process.stdout.write(`wrote ${out}\n`);
