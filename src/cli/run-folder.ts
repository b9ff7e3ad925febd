/** The per-run folder and the files written into it (Node only). */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeOrphanTempFiles, writeFileAtomic } from '../io/node/atomic-write.js';
import { errorCode, reasonOf } from '../io/node/fs-errors.js';
import { makeFolders } from '../io/node/folders.js';
import { parseMetricsCsv, type EpisodeMetrics } from '../metrics/csv-log.js';
import { renderLearningCurve, seriesFromMetrics } from '../metrics/plot.js';
import { UsageError } from './cli-errors.js';
import { LOCK_FILE, RunLock } from './run-lock.js';

/** What a run folder holds once a run has written there (a folder holding one is not reused by a fresh run). */
const RUN_MARKERS = ['checkpoint.zip', 'metrics.csv'];

/**
 * The folder a run writes into, claimed for it: created if needed, locked (run-lock.ts), and
 * swept of temp files a killed run left behind. `abandon()` undoes the claim for a run that failed
 * before training started: it removes what this run created there, and the folder itself if this
 * run made it, so a failed start leaves nothing behind.
 */
export class RunFolder {
  private readonly before: Set<string>;

  private constructor(
    readonly path: string,
    private readonly created: boolean,
    private readonly lock: RunLock,
    /** Temp files of killed runs removed at the claim. */
    readonly removedTempFiles: string[],
  ) {
    this.before = new Set(readdirSync(path));
  }

  /**
   * Claims `path` exactly (an explicit --out, or the folder of the checkpoint a run resumes). A
   * fresh run (`fresh`) refuses a folder that already holds a run's files.
   */
  static claim(path: string, flag: string, fresh: boolean, shown = path): RunFolder {
    const created = makeFoldersFor(path, flag).length > 0;
    const lock = RunLock.acquire(path, flag, shown);
    if (fresh) {
      try {
        checkNoRunIn(path, shown, flag);
      } catch (error) {
        lock.release();
        throw error;
      }
    }
    return new RunFolder(path, created, lock, removeOrphanTempFiles(path));
  }

  /** Claims `base`, or `base-2`, `base-3`, ...: the first that does not exist yet (made atomically, so two runs never get the same). */
  static claimNumbered(base: string, flag: string): RunFolder {
    makeFoldersFor(dirname(base), flag);
    for (let i = 1; ; i++) {
      const candidate = i === 1 ? base : `${base}-${i}`;
      try {
        mkdirSync(candidate);
      } catch (error) {
        if (errorCode(error) === 'EEXIST') continue;
        throw new UsageError(`${flag} '${candidate}': cannot create the folder: ${reasonOf(error)}`);
      }
      return new RunFolder(candidate, true, RunLock.acquire(candidate, flag, candidate), []);
    }
  }

  /** Ends the claim (the lock goes). */
  release(): void {
    this.lock.release();
  }

  /** Removes what this run created in the folder (and the folder, if this run made it), then releases it. */
  abandon(): void {
    for (const name of readdirSync(this.path)) {
      if (this.before.has(name) || name === LOCK_FILE) continue;
      rmSync(join(this.path, name), { force: true });
    }
    this.release();
    if (this.created) {
      try {
        rmdirSync(this.path);
      } catch {
        // Not empty: something else is in it now; leave it.
      }
    }
  }
}

/** Throws UsageError when `path` (shown as `shown`) already holds a run's files: a fresh run does not mix its files with them. */
export function checkNoRunIn(path: string, shown: string, flag: string): void {
  const found = RUN_MARKERS.filter((name) => existsSync(join(path, name)));
  if (found.length > 0) {
    throw new UsageError(`${flag} '${shown}' already holds a run (${found.join(', ')}); continue it with --resume ${join(shown, 'checkpoint.zip')}, or choose another ${flag}`);
  }
}

function makeFoldersFor(path: string, flag: string): string[] {
  try {
    return makeFolders(path);
  } catch (error) {
    throw new UsageError(`${flag} '${path}': ${error instanceof Error ? error.message : String(error)}`);
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
