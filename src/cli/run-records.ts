/**
 * The run's records as training goes: one metrics.csv row per episode (appended as it ends) and
 * evaluations.csv (rewritten after each periodic evaluation). A resumed run keeps the rows up to
 * its checkpoint and drops any written after it.
 */
import { writeFileAtomic } from '../io/node/atomic-write.js';
import type { EpisodeMetrics } from '../metrics/csv-log.js';
import { MetricsCsvAppender } from '../metrics/node/csv-appender.js';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';
import { formatEvaluationsCsv, readEvaluations, readMetrics, type EvaluationRow } from './run-folder.js';

export class RunRecords {
  readonly episodes: EpisodeMetrics[];
  readonly evaluations: EvaluationRow[];
  private readonly csv: MetricsCsvAppender;

  /** `resumedAt`: the checkpoint's step and episode counts (rows after them are dropped), or null for a fresh run. */
  constructor(
    private readonly files: { metrics: string; evaluations: string },
    resumedAt: { steps: number; episodes: number } | null,
  ) {
    this.episodes = resumedAt ? readMetrics(files.metrics).filter((r) => r.episode <= resumedAt.episodes) : [];
    this.evaluations = resumedAt ? readEvaluations(files.evaluations).filter((e) => e.steps <= resumedAt.steps) : [];
    this.csv = new MetricsCsvAppender(files.metrics);
    for (const row of this.episodes) this.csv.append(row);
  }

  addEpisode(log: EpisodeLog): void {
    const row: EpisodeMetrics = { episode: log.episode, steps: log.steps, return: log.return, length: log.length, epsilon: log.epsilon, loss: log.loss, wallTimeS: log.wallTime };
    this.episodes.push(row);
    this.csv.append(row);
  }

  async addEvaluation(log: EvaluationLog): Promise<void> {
    this.evaluations.push({ steps: log.steps, meanReturn: log.meanReturn, stdReturn: log.stdReturn });
    await writeFileAtomic(this.files.evaluations, formatEvaluationsCsv(this.evaluations));
  }

  /** Closes metrics.csv (idempotent). */
  close(): void {
    this.csv.close();
  }
}
