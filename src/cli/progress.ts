/**
 * Training progress on the terminal: a cli-progress bar (steps or episodes, mean return of the last
 * 100 episodes, epsilon, loss, steps/s) when stdout is a terminal, plain log lines otherwise.
 */
import { SingleBar } from 'cli-progress';
import type { EpisodeLog, EvaluationLog } from '../rl/dqn-trainer.js';

export interface ProgressReporter {
  /** A finished episode; `updates` (so far) tells a loss not read yet from a NaN one. */
  episode(log: EpisodeLog, updates: number): void;
  evaluation(log: EvaluationLog): void;
  /** A message printed without breaking the bar. */
  message(text: string): void;
  stop(): void;
}

interface Budget {
  steps: number;
  episodes: number;
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** The latest loss: '-' before the first update, else its value ('NaN' and 'Infinity' included: a diverging run shows as such). */
export function formatLoss(loss: number, updates: number): string {
  return updates === 0 ? '-' : loss.toPrecision(3);
}

function line(log: EpisodeLog, updates: number, stepsPerSecond: number): string {
  return (
    `episode ${log.episode}  steps ${log.steps}  return ${fmt(log.return, 1)}  mean100 ${fmt(log.meanReturn100, 1)}` +
    // An algorithm that does not explore by epsilon (PPO samples its policy) logs NaN: no column.
    `${Number.isNaN(log.epsilon) ? '' : `  eps ${fmt(log.epsilon, 3)}`}  loss ${formatLoss(log.loss, updates)}  ${fmt(stepsPerSecond, 0)} steps/s`
  );
}

/** Chooses the bar on a TTY, log lines elsewhere (every `logEvery` episodes). */
export function createProgressReporter(budget: Budget, out: NodeJS.WriteStream, logEvery = 10): ProgressReporter {
  return out.isTTY ? new BarReporter(budget, out) : new LineReporter(out, logEvery);
}

/**
 * Env steps per second over windows of at least a second; before the first window closes, the
 * rate so far once 0.2 s have passed (NaN until then).
 */
class RateMeter {
  private lastSteps = -1;
  private lastTime = 0;
  private windowClosed = false;
  rate = Number.NaN;
  update(steps: number): number {
    const now = performance.now();
    const elapsed = now - this.lastTime;
    if (this.lastSteps < 0) {
      this.lastSteps = steps;
      this.lastTime = now;
    } else if (elapsed >= 1000) {
      this.rate = ((steps - this.lastSteps) * 1000) / elapsed;
      this.lastSteps = steps;
      this.lastTime = now;
      this.windowClosed = true;
    } else if (!this.windowClosed && elapsed >= 200) {
      this.rate = ((steps - this.lastSteps) * 1000) / elapsed;
    }
    return this.rate;
  }
}

class LineReporter implements ProgressReporter {
  private readonly rate = new RateMeter();
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly logEvery: number,
  ) {}
  episode(log: EpisodeLog, updates: number): void {
    const r = this.rate.update(log.steps);
    if (log.episode % this.logEvery === 0) this.write(line(log, updates, r) + '\n');
  }
  evaluation(log: EvaluationLog): void {
    this.write(`evaluation at ${log.steps} steps: mean return ${fmt(log.meanReturn, 1)} +/- ${fmt(log.stdReturn, 1)}${log.best ? ' (best so far)' : ''}\n`);
  }
  message(text: string): void {
    this.write(text + '\n');
  }
  stop(): void {}
  /** Lines are dropped once the reader has gone (`| head`): training goes on. */
  private write(text: string): void {
    if (!this.out.destroyed && this.out.writable) this.out.write(text);
  }
}

/** The bar starts at the first episode, so lines printed before training begins stay above it. */
class BarReporter implements ProgressReporter {
  private readonly bar: SingleBar;
  private readonly rate = new RateMeter();
  private readonly bySteps: boolean;
  private started = false;
  private value = 0;
  private payload: Record<string, string | number> = { episode: 0, mean: '-', eps: '-', loss: '-', rate: '-', evaluation: '-' };

  constructor(
    private readonly budget: Budget,
    private readonly out: NodeJS.WriteStream,
  ) {
    this.bySteps = budget.steps > 0;
    const unit = this.bySteps ? 'steps' : 'episodes';
    this.bar = new SingleBar({
      format: `{bar} {value}/{total} ${unit} | ep {episode} | mean100 {mean} | eval {evaluation} | eps {eps} | loss {loss} | {rate} steps/s | ETA {eta_formatted}`,
      stream: out,
      hideCursor: true,
      barsize: 24,
      etaBuffer: 50,
      fps: 5,
    });
  }
  episode(log: EpisodeLog, updates: number): void {
    const r = this.rate.update(log.steps);
    this.value = this.bySteps ? log.steps : log.episode;
    Object.assign(this.payload, {
      episode: log.episode,
      mean: fmt(log.meanReturn100, 1),
      eps: fmt(log.epsilon, 3),
      loss: formatLoss(log.loss, updates),
      rate: fmt(r, 0),
    });
    if (!this.started) {
      this.started = true;
      this.bar.start(this.bySteps ? this.budget.steps : this.budget.episodes, this.value, this.payload);
    } else {
      this.bar.update(this.value, this.payload);
    }
  }
  /** The latest evaluation shows in the bar; the best ones also get a line of their own. */
  evaluation(log: EvaluationLog): void {
    this.payload.evaluation = `${fmt(log.meanReturn, 1)}@${log.steps}`;
    if (this.started) this.bar.update(this.value, this.payload);
    if (log.best) this.message(`evaluation at ${log.steps} steps: mean return ${fmt(log.meanReturn, 1)} +/- ${fmt(log.stdReturn, 1)} (best so far)`);
  }
  /** A line above the bar: the bar is stopped, the line written, the bar started again below it. */
  message(text: string): void {
    if (this.started) this.bar.stop();
    if (!this.out.destroyed && this.out.writable) this.out.write(text + '\n');
    if (this.started) this.bar.start(this.bySteps ? this.budget.steps : this.budget.episodes, this.value, this.payload);
  }
  stop(): void {
    if (this.started) this.bar.stop();
  }
}
