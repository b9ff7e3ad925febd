/**
 * The live learning curve, drawn with uPlot: the return of every training episode, the mean of
 * the last 100, the periodic greedy evaluations and the env's solve threshold, against env steps.
 */
import uPlot from 'uplot';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';

const COLORS = {
  episode: 'rgba(99, 132, 190, 0.45)',
  mean: '#1f4fa3',
  evaluation: '#d9480f',
  threshold: '#2b8a3e',
};

/** Columns of the chart, one row per episode end or evaluation, in step order. */
interface Columns {
  steps: number[];
  episodeReturn: (number | null)[];
  mean100: (number | null)[];
  evaluation: (number | null)[];
  threshold: (number | null)[];
}

function emptyColumns(): Columns {
  return { steps: [], episodeReturn: [], mean100: [], evaluation: [], threshold: [] };
}

export class LearningChart {
  private readonly plot: uPlot;
  private columns: Columns = emptyColumns();
  private threshold: number | null = null;
  private dirty = false;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly container: HTMLElement) {
    const { width, height } = this.size();
    const opts: uPlot.Options = {
      width,
      height,
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(10, max * 1.05)] } },
      axes: [
        { label: 'env steps', stroke: '#495057', grid: { stroke: '#eceff3' } },
        { label: 'episode return', stroke: '#495057', grid: { stroke: '#eceff3' }, size: 56 },
      ],
      series: [
        { label: 'steps' },
        { label: 'episode return', stroke: COLORS.episode, width: 1, spanGaps: true, points: { show: false } },
        { label: 'mean of last 100', stroke: COLORS.mean, width: 2.5, spanGaps: true, points: { show: false } },
        { label: 'greedy evaluation', stroke: COLORS.evaluation, width: 0, paths: () => null, points: { show: true, size: 8, fill: COLORS.evaluation } },
        { label: 'solved at', stroke: COLORS.threshold, width: 1.5, dash: [6, 6], spanGaps: true, points: { show: false } },
      ],
    };
    this.plot = new uPlot(opts, this.data(), container);
    this.resizeObserver = new ResizeObserver(() => this.plot.setSize(this.size()));
    this.resizeObserver.observe(container);
    this.container.dataset.points = '0';
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(320, this.container.clientWidth), height: 260 };
  }

  private data(): uPlot.AlignedData {
    const c = this.columns;
    return [c.steps, c.episodeReturn, c.mean100, c.evaluation, c.threshold];
  }

  /** Clears the curve; `threshold` is the env's solve threshold (null: none drawn). */
  reset(threshold: number | null): void {
    this.columns = emptyColumns();
    this.threshold = threshold;
    this.dirty = true;
    this.flush();
  }

  /** Appends finished episodes (drawn at the next flush). */
  addEpisodes(logs: readonly EpisodeLog[]): void {
    for (const log of logs) this.push(log.steps, log.return, log.meanReturn100, null);
  }

  /** Appends periodic evaluations (drawn at the next flush). */
  addEvaluations(logs: readonly EvaluationLog[]): void {
    for (const log of logs) this.push(log.steps, null, null, log.meanReturn);
  }

  private push(steps: number, episodeReturn: number | null, mean: number | null, evaluation: number | null): void {
    const c = this.columns;
    c.steps.push(steps);
    c.episodeReturn.push(episodeReturn);
    c.mean100.push(mean);
    c.evaluation.push(evaluation);
    c.threshold.push(this.threshold);
    this.dirty = true;
  }

  /** Redraws if anything was added since the last flush. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData(this.data());
    this.container.dataset.points = String(this.columns.steps.length);
  }

  /** Rows drawn so far (episodes plus evaluations). */
  get points(): number {
    return this.columns.steps.length;
  }
}
