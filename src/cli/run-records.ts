/**
 * The run's records as training goes: one metrics.csv row per episode (appended as it ends) and
 * evaluations.csv (rewritten after each periodic evaluation). A resumed run starts from the rows its
 * checkpoint carries (or, for a checkpoint written before it carried them, the rows of the files
 * beside it up to the checkpoint), rewriting the files, so rows written after the checkpoint are
 * dropped and a run resumed into another folder keeps its earlier rows. Wall times continue from
 * the earlier rows.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from '../io/node/atomic-write.js';
import type { EpisodeMetrics } from '../metrics/csv-log.js';
import { MetricsCsvAppender } from '../metrics/node/csv-appender.js';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';
import { formatEvaluationsCsv, type EvaluationRow } from './run-folder.js';

export class RunRecords {
  readonly episodes: EpisodeMetrics[];
  readonly evaluations: EvaluationRow[];
  private csv: MetricsCsvAppender;
  private wallTimeOffset: number;

  constructor(
    private readonly files: { metrics: string; evaluations: string },
    start: { episodes: readonly EpisodeMetrics[]; evaluations: readonly EvaluationRow[] },
  ) {
    this.episodes = [...start.episodes];
    this.evaluations = [...start.evaluations];
    this.wallTimeOffset = this.lastWallTime();
    this.csv = this.rewrite();
    if (this.evaluations.length > 0 || existsSync(files.evaluations)) writeFileAtomicSync(files.evaluations, formatEvaluationsCsv(this.evaluations));
  }

  /** Adds a finished episode; `updates` tells a loss not read yet (none so far) from a NaN one. */
  addEpisode(log: EpisodeLog, updates: number): void {
    const row: EpisodeMetrics = {
      episode: log.episode,
      steps: log.steps,
      return: log.return,
      length: log.length,
      epsilon: log.epsilon,
      loss: updates === 0 ? null : log.loss,
      wallTimeS: this.wallTimeOffset + log.wallTime,
    };
    this.episodes.push(row);
    this.csv.append(row);
  }

  async addEvaluation(log: EvaluationLog): Promise<void> {
    this.evaluations.push({ steps: log.steps, meanReturn: log.meanReturn, stdReturn: log.stdReturn });
    await writeFileAtomic(this.files.evaluations, formatEvaluationsCsv(this.evaluations));
  }

  /**
   * Goes back to a checkpoint at `steps` env steps and `episodes` episodes (training restarts from
   * it, e.g. on the CPU after a lost GPU): later rows are dropped from the records and the files.
   */
  async rewindTo(steps: number, episodes: number): Promise<void> {
    this.csv.close();
    const keptEpisodes = this.episodes.filter((r) => r.episode <= episodes);
    const keptEvaluations = this.evaluations.filter((e) => e.steps <= steps);
    this.episodes.splice(0, this.episodes.length, ...keptEpisodes);
    this.evaluations.splice(0, this.evaluations.length, ...keptEvaluations);
    this.wallTimeOffset = this.lastWallTime();
    this.csv = this.rewrite();
    await writeFileAtomic(this.files.evaluations, formatEvaluationsCsv(this.evaluations));
  }

  /** Closes metrics.csv (idempotent). */
  close(): void {
    this.csv.close();
  }

  private lastWallTime(): number {
    const last = this.episodes[this.episodes.length - 1];
    return last !== undefined && Number.isFinite(last.wallTimeS) ? last.wallTimeS : 0;
  }

  /** metrics.csv rewritten with the rows kept, open for appending. */
  private rewrite(): MetricsCsvAppender {
    const csv = new MetricsCsvAppender(this.files.metrics);
    for (const row of this.episodes) csv.append(row);
    return csv;
  }
}
