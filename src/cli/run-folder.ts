/** The per-run folder and the files written into it (Node only). */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { parseMetricsCsv, type EpisodeMetrics } from '../metrics/csv-log.js';
import { renderLearningCurve, seriesFromMetrics } from '../metrics/plot.js';

/** `base`, or `base-2`, `base-3`, ... : the first that does not exist yet. */
export function freshFolder(base: string): string {
  let candidate = base;
  for (let i = 2; existsSync(candidate); i++) candidate = `${base}-${i}`;
  mkdirSync(candidate, { recursive: true });
  return resolve(candidate);
}

/** Reads a file, turning ENOENT and friends into an error that names the flag and the file. */
export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message;
    throw new Error(`${what} '${path}': ${reason}`);
  }
}

/** Rows of an existing metrics.csv (for --resume), or none. */
export function readMetrics(path: string): EpisodeMetrics[] {
  return existsSync(path) ? parseMetricsCsv(readFileSync(path, 'utf8'), path) : [];
}

/** One periodic greedy evaluation, as evaluations.csv holds it. */
export interface EvaluationRow {
  steps: number;
  meanReturn: number;
  stdReturn: number;
}

export function formatEvaluationsCsv(rows: readonly EvaluationRow[]): string {
  return 'steps,mean_return,std_return\n' + rows.map((r) => `${r.steps},${r.meanReturn},${r.stdReturn}`).join('\n') + (rows.length ? '\n' : '');
}

/** Reads evaluations.csv (for --resume), or none. */
export function readEvaluations(path: string): EvaluationRow[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [steps, meanReturn, stdReturn] = line.split(',').map(Number);
      return { steps, meanReturn, stdReturn };
    });
}

/**
 * Writes learning-curve.png and learning-curve.svg into `folder`: training episode returns with
 * their moving mean and, when there are any, the periodic greedy evaluations.
 */
export async function writeLearningCurve(
  folder: string,
  label: string,
  rows: readonly EpisodeMetrics[],
  evaluations: readonly EvaluationRow[],
  title: string,
  threshold: number | null,
): Promise<string> {
  const series = [seriesFromMetrics(`${label}: training episodes`, rows)];
  if (evaluations.length > 0) {
    series.push({ label: `${label}: greedy evaluation`, steps: evaluations.map((e) => e.steps), returns: evaluations.map((e) => e.meanReturn), window: 1 });
  }
  const image = renderLearningCurve({
    series,
    title,
    ...(threshold !== null ? { threshold, thresholdLabel: `solved (${threshold})` } : {}),
  });
  const png = join(folder, 'learning-curve.png');
  await writeFileAtomic(png, image.png);
  await writeFileAtomic(join(folder, 'learning-curve.svg'), image.svg);
  return png;
}
