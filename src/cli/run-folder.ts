/** The per-run folder and the files written into it (Node only). */
import { lstatSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeOrphanTempFiles, writeFileAtomic } from '../io/node/atomic-write.js';
import { errorMessage } from '../errors.js';
import { errorCode, reasonOf } from '../io/node/fs-errors.js';
import { makeFolders } from '../io/node/folders.js';
import { readTextNoFollow } from '../io/node/no-follow.js';
import { parseMetricsCsv, type EpisodeMetrics } from '../metrics/csv-log.js';
import { renderLearningCurve, seriesFromMetrics } from '../metrics/plot.js';
import { UsageError } from './cli-errors.js';
import { shellQuoted } from './console.js';
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
    const made = makeFoldersFor(path, flag);
    const created = made.length > 0;
    let lock: RunLock;
    try {
      lock = RunLock.acquire(path, flag, shown);
    } catch (error) {
      // A failed claim leaves nothing behind: not the folders it made either.
      for (const folder of made.reverse()) {
        try {
          rmdirSync(folder);
        } catch {
          // Not empty: something else is in it now; leave it.
        }
      }
      throw error;
    }
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
  // lstat: a link named metrics.csv counts too, even one that leads nowhere.
  const found = RUN_MARKERS.filter((name) => lstatSync(join(path, name), { throwIfNoEntry: false }) !== undefined);
  if (found.length > 0) {
    throw new UsageError(`${flag} '${shown}' already holds a run (${found.join(', ')}); continue it with --resume ${shellQuoted(join(shown, 'checkpoint.zip'))}, or choose another ${flag}`);
  }
}

function makeFoldersFor(path: string, flag: string): string[] {
  try {
    return makeFolders(path);
  } catch (error) {
    throw new UsageError(`${flag} '${path}': ${errorMessage(error)}`);
  }
}

/** Rows of an existing metrics.csv (for --resume), or none; never read through a link (no-follow.ts). */
export function readMetrics(path: string): EpisodeMetrics[] {
  const text = readTextNoFollow(path);
  return text === null ? [] : parseMetricsCsv(text, path);
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

/** Reads evaluations.csv (for --resume), or none; never through a link. */
export function readEvaluations(path: string): EvaluationRow[] {
  const text = readTextNoFollow(path);
  if (text === null) return [];
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [steps, meanReturn, stdReturn] = line.split(',').map(Number);
      return { steps, meanReturn, stdReturn };
    });
}

/**
 * Writes the learning curve as PNG and SVG (the run folder's learning-curve.png and .svg):
 * training episode returns with their moving mean and, when there are any, the periodic greedy
 * evaluations.
 */
export async function writeLearningCurve(
  paths: { png: string; svg: string },
  label: string,
  rows: readonly EpisodeMetrics[],
  evaluations: readonly EvaluationRow[],
  title: string,
  threshold: number | null,
): Promise<void> {
  const series = [seriesFromMetrics(`${label}: training episodes`, rows)];
  if (evaluations.length > 0) {
    series.push({ label: `${label}: greedy evaluation`, steps: evaluations.map((e) => e.steps), returns: evaluations.map((e) => e.meanReturn), window: 1 });
  }
  const image = renderLearningCurve({
    series,
    title,
    ...(threshold !== null ? { threshold, thresholdLabel: `solved (${threshold})` } : {}),
  });
  await writeFileAtomic(paths.png, image.png);
  await writeFileAtomic(paths.svg, image.svg);
}
