/**
 * Greedy evaluation every `evalFreq` env steps during training, keeping the best weights (as the
 * RL-Zoo keeps best_model): DQN on CartPole forgets as it trains on, so the weights worth keeping
 * are the best evaluated ones.
 */
import type { FloatArray } from '../backend/backend.js';
import type { Env } from '../envs/env.js';
import { make } from '../envs/registry.js';
import type { ActionSpace } from '../envs/spaces.js';
import type { RngState } from '../random/rng.js';
import { GreedyEvaluator } from './greedy-evaluation.js';
import { allFinite } from './non-finite-guard.js';
import type { TrainerPolicy } from './trainer.js';
import { meanAndStd } from './statistics.js';
import { envRngState, setEnvRngState } from './training-env.js';

/** Offset from the run's seed to the seed of the evaluation env's first reset. */
const EVAL_SEED_OFFSET = 1_000_003;

/** One periodic greedy evaluation. */
export interface EvaluationLog {
  steps: number;
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  /** Whether these weights became the best so far. */
  best: boolean;
}

/** The evaluations' part of a trainer snapshot (field names as TrainerState has them). */
export interface PeriodicEvaluationState {
  /** The evaluation env's generator (null before the first evaluation). */
  evalEnvRng: RngState | null;
  bestWeights: FloatArray[] | null;
  /** -Infinity before the first evaluation. */
  bestMeanReturn: number;
  /** Env steps at which the best weights were evaluated (0 when none). */
  bestSteps: number;
}

export class PeriodicEvaluation {
  bestMeanReturn = Number.NEGATIVE_INFINITY;
  bestWeights: FloatArray[] | null = null;
  bestSteps = 0;
  /** Made at the first evaluation; its episodes continue one stream from evaluation to evaluation. */
  private env: Env<ActionSpace> | null = null;
  /** Plays each evaluation's episodes side by side (the same returns as one after another on `env`). */
  private readonly evaluator: GreedyEvaluator;

  constructor(
    private readonly envId: string,
    private readonly episodes: number,
    /** The run's seed: the first evaluation's reset is seeded from it. */
    private readonly seed: number,
  ) {
    this.evaluator = new GreedyEvaluator(() => make(envId));
  }

  /** Plays `episodes` greedy episodes with the agent's policy network (DqnAgent.policy, PqnTrainer's network), and keeps its weights if they are the best so far. */
  async evaluate(agent: { readonly policy: TrainerPolicy }, steps: number): Promise<EvaluationLog> {
    const first = this.env === null;
    this.env ??= make(this.envId);
    const returns = await this.evaluator.evaluate(agent.policy, this.env, this.episodes, first ? this.seed + EVAL_SEED_OFFSET : undefined);
    const { mean, std } = meanAndStd(returns);
    // Weights that are not finite (a diverging run's) are never kept, however they score.
    const weights = mean >= this.bestMeanReturn ? await agent.policy.getWeights() : null;
    const best = weights !== null && allFinite(weights);
    if (best) {
      this.bestMeanReturn = mean;
      this.bestSteps = steps;
      this.bestWeights = weights;
    }
    return { steps, meanReturn: mean, stdReturn: std, returns, best };
  }

  getState(): PeriodicEvaluationState {
    return { evalEnvRng: this.env ? envRngState(this.env) : null, bestWeights: this.bestWeights, bestMeanReturn: this.bestMeanReturn, bestSteps: this.bestSteps };
  }

  restore(state: PeriodicEvaluationState): void {
    this.env?.close();
    this.env = null;
    if (state.evalEnvRng) {
      this.env = make(this.envId);
      setEnvRngState(this.env, state.evalEnvRng);
    }
    this.bestWeights = state.bestWeights;
    this.bestMeanReturn = state.bestMeanReturn;
    this.bestSteps = state.bestSteps;
  }

  dispose(): void {
    this.env?.close();
    this.evaluator.close();
  }
}
