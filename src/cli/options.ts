/**
 * The CLI's flags: one per DqnConfig field (kebab-case), each with the `default` preset's value
 * shown in --help. A flag the user did not give takes the chosen preset's value.
 */
import { Command, InvalidArgumentError as CommanderArgumentError, Option } from 'commander';
import { ACTIVATIONS } from '../backend/backend.js';
import { BACKEND_KINDS } from '../backend/create-backend.js';
import { registeredEnvIds } from '../envs/registry.js';
import { REWARD_SHAPINGS } from '../envs/wrappers/reward-shaping.js';
import { INITIALIZERS } from '../nn/init.js';
import { DQN_LOSSES, EPSILON_SCHEDULES, PRESETS, PRESET_NAMES, TARGET_UPDATES, preset, type DqnConfig } from '../rl/config.js';

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

const number = (flag: string) => (value: string) => {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new CommanderArgumentError(`${flag} expects a number, got '${value}'`);
  return x;
};
const integer = (flag: string) => (value: string) => {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 0) throw new CommanderArgumentError(`${flag} expects a non-negative integer, got '${value}'`);
  return x;
};
const widths = (value: string): number[] => {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new CommanderArgumentError(`--hidden expects comma-separated positive layer widths like 256,256, got '${value}'`);
  }
  return parts;
};

/** Every DqnConfig field as a flag. */
export const CONFIG_FLAGS: FlagSpec[] = [
  { key: 'env', description: 'environment id', choices: registeredEnvIds() },
  { key: 'rewardShaping', description: 'reward shaping applied to the rewards the agent learns from', choices: Object.keys(REWARD_SHAPINGS) },
  { key: 'hidden', description: 'hidden layer widths, comma-separated', parse: widths },
  { key: 'activation', description: 'hidden activation', choices: ACTIVATIONS },
  { key: 'init', description: 'weight initialiser', choices: INITIALIZERS },
  { key: 'dueling', description: 'dueling value/advantage heads', boolean: true },
  { key: 'doubleDqn', description: 'Double DQN targets', boolean: true },
  { key: 'gamma', description: 'discount factor', parse: number('--gamma') },
  { key: 'lr', description: 'Adam learning rate', parse: number('--lr') },
  { key: 'adamEps', description: 'Adam epsilon', parse: number('--adam-eps') },
  { key: 'loss', description: 'TD loss', choices: DQN_LOSSES },
  { key: 'huberDelta', description: 'Huber loss threshold', parse: number('--huber-delta') },
  { key: 'maxGradNorm', description: 'global gradient-norm clip (0 = off)', parse: number('--max-grad-norm') },
  { key: 'batchSize', description: 'minibatch size', parse: integer('--batch-size') },
  { key: 'bufferSize', description: 'replay buffer capacity (transitions)', parse: integer('--buffer-size') },
  { key: 'learningStarts', description: 'env steps before the first update', parse: integer('--learning-starts') },
  { key: 'trainFreq', description: 'env steps between rounds of updates', parse: integer('--train-freq') },
  { key: 'gradientSteps', description: 'updates per round', parse: integer('--gradient-steps') },
  { key: 'targetUpdate', description: 'target network update', choices: TARGET_UPDATES },
  { key: 'tau', description: 'soft target update rate (after every update)', parse: number('--tau') },
  { key: 'targetUpdateInterval', description: 'env steps between hard target copies', parse: integer('--target-update-interval') },
  { key: 'epsilonSchedule', description: 'exploration schedule', choices: EPSILON_SCHEDULES },
  { key: 'epsilonStart', description: 'initial exploration rate', parse: number('--epsilon-start') },
  { key: 'epsilonEnd', description: 'final exploration rate', parse: number('--epsilon-end') },
  { key: 'epsilonDecay', description: "per-episode factor of 'exponential-episode'", parse: number('--epsilon-decay') },
  { key: 'explorationFraction', description: "fraction of --steps over which 'linear-step' decays", parse: number('--exploration-fraction') },
  { key: 'steps', description: 'env step budget (0 = none)', parse: integer('--steps') },
  { key: 'episodes', description: 'episode budget (0 = none)', parse: integer('--episodes') },
  { key: 'evalFreq', description: 'greedy evaluation every N env steps, keeping the best weights (0 = off)', parse: integer('--eval-freq') },
  { key: 'evalEpisodes', description: 'episodes per periodic evaluation', parse: integer('--eval-episodes') },
  { key: 'lossReadInterval', description: 'read the loss back every N updates', parse: integer('--loss-read-interval') },
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
  if (!(PRESET_NAMES as readonly string[]).includes(presetName)) preset(presetName); // throws, listing the presets
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
