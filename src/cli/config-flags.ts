/**
 * The CLI's flags: one per DqnConfig field (kebab-case), each with the `default` preset's value
 * shown in --help. A flag the user did not give takes the chosen preset's value.
 */
import { Command, Option } from 'commander';
import { ACTIVATIONS } from '../backend/backend.js';
import { registeredEnvIds } from '../envs/registry.js';
import { REWARD_SHAPINGS } from '../envs/wrappers/reward-shaping.js';
import { INITIALIZERS } from '../nn/init.js';
import { DQN_LOSSES, EPSILON_SCHEDULES, NON_FINITE_POLICIES, PRESETS, TARGET_UPDATES, preset, type DqnConfig } from '../rl/config.js';
import { layerWidthsFlag, nonNegativeIntegerFlag, numberFlag } from './flag-parsers.js';

type ConfigKey = keyof DqnConfig;
type Parser = (value: string) => DqnConfig[ConfigKey];

interface FlagSpec {
  key: ConfigKey;
  description: string;
  parse?: Parser;
  choices?: readonly string[];
  /** For booleans: `--dueling` / `--no-dueling`. */
  boolean?: boolean;
}

/** Every DqnConfig field as a flag. */
export const CONFIG_FLAGS: FlagSpec[] = [
  { key: 'env', description: 'environment id', choices: registeredEnvIds() },
  { key: 'rewardShaping', description: 'reward shaping applied to the rewards the agent learns from', choices: Object.keys(REWARD_SHAPINGS) },
  { key: 'hidden', description: 'hidden layer widths, comma-separated', parse: layerWidthsFlag('--hidden') },
  { key: 'activation', description: 'hidden activation', choices: ACTIVATIONS },
  { key: 'init', description: 'weight initialiser', choices: INITIALIZERS },
  { key: 'dueling', description: 'dueling value/advantage heads', boolean: true },
  { key: 'quantiles', description: 'quantiles per action: 1 = DQN, N > 1 = QR-DQN (needs --loss huber, no --dueling)', parse: nonNegativeIntegerFlag('--quantiles') },
  { key: 'doubleDqn', description: 'Double DQN targets', boolean: true },
  {
    key: 'munchausen',
    description: "Munchausen DQN's alpha (0 = off; 0.9 in the paper): a bonus for the action taken by its log-probability under softmax(Q_target / tau), and a soft value of s' (needs --no-double-dqn)",
    parse: numberFlag('--munchausen'),
  },
  { key: 'munchausenTau', description: "Munchausen DQN's entropy temperature tau", parse: numberFlag('--munchausen-tau') },
  { key: 'gamma', description: 'discount factor', parse: numberFlag('--gamma') },
  { key: 'nStep', description: 'n-step returns: rewards summed over up to N steps of an episode before bootstrapping', parse: nonNegativeIntegerFlag('--n-step') },
  { key: 'lr', description: 'Adam learning rate', parse: numberFlag('--lr') },
  { key: 'adamEps', description: 'Adam epsilon', parse: numberFlag('--adam-eps') },
  { key: 'loss', description: 'TD loss', choices: DQN_LOSSES },
  { key: 'huberDelta', description: 'Huber loss threshold', parse: numberFlag('--huber-delta') },
  { key: 'maxGradNorm', description: 'global gradient-norm clip (0 = off)', parse: numberFlag('--max-grad-norm') },
  { key: 'batchSize', description: 'minibatch size', parse: nonNegativeIntegerFlag('--batch-size') },
  { key: 'bufferSize', description: 'replay buffer capacity (transitions)', parse: nonNegativeIntegerFlag('--buffer-size') },
  { key: 'numEnvs', description: 'environments stepped side by side, acting through one forward pass per step', parse: nonNegativeIntegerFlag('--num-envs') },
  {
    key: 'actingGroups',
    description: 'acting groups: 1 (all envs at once) or 2 (halves in turn: the host steps one while the device computes Q for the other)',
    parse: nonNegativeIntegerFlag('--acting-groups'),
  },
  { key: 'learningStarts', description: 'env steps (summed over the envs) before the first update', parse: nonNegativeIntegerFlag('--learning-starts') },
  { key: 'trainFreq', description: 'vector steps (env steps with one env) between rounds of updates', parse: nonNegativeIntegerFlag('--train-freq') },
  { key: 'gradientSteps', description: 'updates per round', parse: nonNegativeIntegerFlag('--gradient-steps') },
  { key: 'targetUpdate', description: 'target network update', choices: TARGET_UPDATES },
  { key: 'tau', description: 'soft target update rate (after every update)', parse: numberFlag('--tau') },
  { key: 'targetUpdateInterval', description: 'env steps between hard target copies', parse: nonNegativeIntegerFlag('--target-update-interval') },
  {
    key: 'policyAverageTau',
    description: 'policy averaging (0 = off): evaluate, keep and save an average of the online weights that moves by this rate after every update',
    parse: numberFlag('--policy-average-tau'),
  },
  { key: 'epsilonSchedule', description: 'exploration schedule', choices: EPSILON_SCHEDULES },
  { key: 'epsilonStart', description: 'initial exploration rate', parse: numberFlag('--epsilon-start') },
  { key: 'epsilonEnd', description: 'final exploration rate', parse: numberFlag('--epsilon-end') },
  { key: 'epsilonDecay', description: "per-episode factor of 'exponential-episode'", parse: numberFlag('--epsilon-decay') },
  { key: 'explorationFraction', description: "fraction of --steps over which 'linear-step' decays", parse: numberFlag('--exploration-fraction') },
  { key: 'steps', description: 'env step budget (0 = none)', parse: nonNegativeIntegerFlag('--steps') },
  { key: 'episodes', description: 'episode budget (0 = none)', parse: nonNegativeIntegerFlag('--episodes') },
  { key: 'evalFreq', description: 'greedy evaluation every N env steps, keeping the best weights (0 = off)', parse: nonNegativeIntegerFlag('--eval-freq') },
  { key: 'evalEpisodes', description: 'episodes per periodic evaluation', parse: nonNegativeIntegerFlag('--eval-episodes') },
  { key: 'lossReadInterval', description: 'read the loss back every N updates', parse: nonNegativeIntegerFlag('--loss-read-interval') },
  { key: 'onNonFinite', description: 'a NaN/Inf loss or weight: stop (naming the step and the last good checkpoint), or skip that round of updates (reads back every round: slower)', choices: NON_FINITE_POLICIES },
];

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Adds every config flag to `command`, with the default preset's values as defaults. */
export function addConfigFlags(command: Command): void {
  const defaults = PRESETS.default;
  const seedPreset = PRESETS.seed;
  for (const spec of CONFIG_FLAGS) {
    const flag = kebab(spec.key);
    const differs = show(seedPreset[spec.key]) !== show(defaults[spec.key]) ? ` [seed preset: ${show(seedPreset[spec.key])}]` : '';
    if (spec.boolean) {
      command.addOption(new Option(`--${flag}`, `${spec.description}${differs}`).default(defaults[spec.key]));
      command.addOption(new Option(`--no-${flag}`, `turn --${flag} off`));
      continue;
    }
    const option = new Option(`--${flag} <value>`, `${spec.description}${differs}`).default(defaults[spec.key], show(defaults[spec.key]));
    if (spec.choices) option.choices(spec.choices);
    if (spec.parse) option.argParser(spec.parse as (value: string) => unknown);
    command.addOption(option);
  }
}

/**
 * The config: the preset's values, overridden by every flag given on the command line.
 * `--steps` alone switches an episode-budget preset to a step budget, and vice versa.
 */
export function configFromOptions(command: Command, presetName: string): DqnConfig {
  const config = preset(presetName);
  const values = command.opts<Record<string, unknown>>();
  for (const spec of CONFIG_FLAGS) {
    if (command.getOptionValueSource(spec.key) !== 'cli') continue;
    (config as unknown as Record<string, unknown>)[spec.key] = values[spec.key];
  }
  const given = (key: ConfigKey) => command.getOptionValueSource(key) === 'cli';
  if (given('steps') && !given('episodes')) config.episodes = 0;
  if (given('episodes') && !given('steps')) config.steps = 0;
  return config;
}
