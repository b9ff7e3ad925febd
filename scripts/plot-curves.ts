/**
 * `npx tsx scripts/plot-curves.ts --out docs/learning-curves.png "label=runs/a/metrics.csv" ...`
 * Draws several runs' learning curves in one picture (PNG, and an SVG beside it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseMetricsCsv } from '../src/metrics/csv-log.js';
import { renderLearningCurve, seriesFromMetrics } from '../src/metrics/plot.js';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args.splice(outIndex, 2)[1] : 'docs/learning-curves.png';
const titleIndex = args.indexOf('--title');
const title = titleIndex >= 0 ? args.splice(titleIndex, 2)[1] : 'DQN on CartPole-v1';
if (args.length === 0) throw new Error('give at least one label=path/to/metrics.csv');
const series = args.map((arg) => {
  const eq = arg.indexOf('=');
  if (eq < 0) throw new Error(`expected label=path, got '${arg}'`);
  const path = arg.slice(eq + 1);
  return seriesFromMetrics(arg.slice(0, eq), parseMetricsCsv(readFileSync(path, 'utf8'), path));
});
const image = renderLearningCurve({ series, title, threshold: 475, thresholdLabel: 'solved (475)' });
writeFileSync(out, image.png);
writeFileSync(out.replace(/\.png$/, '.svg'), image.svg);
process.stdout.write(`wrote ${out}\n`);
