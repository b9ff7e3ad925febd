/**
 * The CLI's config flags, derived from the algorithms' schemas (rl/config-schema.ts, one per entry
 * of rl/algorithms.ts): one flag per field of any algorithm, named by kebab-case and parsed by its
 * kind. A field several algorithms share (env, gamma, lr, ...) is one flag. Its help is the field's
 * doc, the default algorithm's default preset's value as the default (else the first preset of the
 * first algorithm that has it), and the algorithms it belongs to when not all. A flag the user did
 * not give takes the chosen preset's value; a flag of another algorithm is refused; ranges and
 * rules between fields are checked by the algorithm's schema (exit code 2 naming the flag).
 */
import { Command, Option } from 'commander';
import { ALGORITHMS, ALGORITHM_NAMES, DEFAULT_ALGORITHM, type AlgorithmEntry } from '../rl/algorithms.js';
import { kebab, schemaKeys, type FieldKind, type FieldSpec } from '../rl/config-schema.js';
import { sameValue, showValue } from '../rl/config-values.js';
import type { BaseConfig, BaseState } from '../rl/trainer.js';
import { UsageError } from './cli-errors.js';
import { layerWidthsFlag, nonNegativeIntegerFlag, numberFlag } from './flag-parsers.js';

/** One config flag: its field's spec (the first algorithm's that has it) and the algorithms whose field it is. */
interface ConfigFlag {
  key: string;
  spec: FieldSpec<unknown>;
  algorithms: string[];
  /** Its default: the value in the default algorithm's default preset, else in the first algorithm's first preset that has it. */
  value: unknown;
  /** Other presets' values where they differ, for --help: '[seed preset: 0.01]'. */
  notes: string[];
}

/** Every config flag, in --help order: the default algorithm's fields, then the others' own. */
function configFlags(): ConfigFlag[] {
  const flags = new Map<string, ConfigFlag>();
  const order = [DEFAULT_ALGORITHM, ...ALGORITHM_NAMES.filter((name) => name !== DEFAULT_ALGORITHM)];
  for (const name of order) {
    const entry = ALGORITHMS[name];
    const fields = entry.config.fields as Record<string, FieldSpec<unknown>>;
    const first = entry.preset(entry.presetNames[0]) as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const flag = flags.get(key);
      if (flag === undefined) {
        const notes: string[] = [];
        // DQN's numpy-rl-engine preset, shown where it differs (it is the port's starting point).
        if (name === 'dqn') {
          const seed = ALGORITHMS.dqn.preset('seed') as unknown as Record<string, unknown>;
          if (!sameValue(seed[key], first[key])) notes.push(`[seed preset: ${showValue(seed[key])}]`);
        }
        flags.set(key, { key, spec: fields[key], algorithms: [name], value: first[key], notes });
        continue;
      }
      if (flag.spec.kind.type !== fields[key].kind.type) throw new Error(`config field '${key}' is a ${flag.spec.kind.type} in one algorithm and a ${fields[key].kind.type} in ${name}`);
      flag.algorithms.push(name);
      if (!sameValue(flag.value, first[key])) flag.notes.push(`[${entry.presetNames[0]}: ${showValue(first[key])}]`);
    }
  }
  return [...flags.values()];
}

const CONFIG_FLAGS = configFlags();

/** What --env's help adds to the field's doc: it also takes a module (env-module-check.ts). */
const ENV_MODULE_HELP =
  ", or a custom env module: a path (./my-env.js), a file: URL or a package specifier, whose default export is the env class or factory (docs/custom-envs.md); it is checked by checkEnv before training, and runs record where it came from";

/** How the CLI spells a config field: its flag. */
export function flagName(key: string | number | symbol): string {
  return `--${kebab(String(key))}`;
}

/** The parser of a flag's value by the field's kind (ranges are checked later, all together, by the schema). */
function parserFor(kind: FieldKind, flag: string): ((value: string) => unknown) | null {
  switch (kind.type) {
    case 'integer':
      return nonNegativeIntegerFlag(flag);
    case 'number':
      return numberFlag(flag);
    case 'widths':
      return layerWidthsFlag(flag);
    case 'choice':
    case 'boolean':
      return null;
  }
}

/** Adds every config flag to `command`, with its default (see the module note). */
export function addConfigFlags(command: Command): void {
  for (const { key, spec, algorithms, value, notes } of CONFIG_FLAGS) {
    const flag = flagName(key);
    const only = algorithms.length < ALGORITHM_NAMES.length ? ` (${algorithms.join(', ')})` : '';
    const help = `${spec.doc}${key === 'env' ? ENV_MODULE_HELP : ''}${only}${notes.map((note) => ` ${note}`).join('')}`;
    if (spec.kind.type === 'boolean') {
      command.addOption(new Option(flag, help).default(value));
      command.addOption(new Option(`--no-${kebab(key)}`, `turn ${flag} off`));
      continue;
    }
    const option = new Option(`${flag} <value>`, help).default(value, showValue(value));
    if (spec.kind.type === 'choice') option.choices(spec.kind.choices());
    const parse = parserFor(spec.kind, flag);
    if (parse !== null) option.argParser(parse);
    command.addOption(option);
  }
}

/** The config flags given on the command line (their field names). */
export function givenConfigKeys(command: Command): string[] {
  return CONFIG_FLAGS.filter(({ key }) => command.getOptionValueSource(key) === 'cli').map(({ key }) => key);
}

/** Throws UsageError when a config flag given is not a field of `entry` (another algorithm's). */
export function checkFlagsBelongTo<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, command: Command, why: string): void {
  const foreign = givenConfigKeys(command).filter((key) => !(key in entry.config.fields));
  if (foreign.length === 0) return;
  const owners = (key: string) => CONFIG_FLAGS.find((flag) => flag.key === key)?.algorithms.join(', ') ?? '';
  throw new UsageError(`${foreign.map((key) => `${flagName(key)} (${owners(key)})`).join(', ')} ${foreign.length === 1 ? 'is not a setting' : 'are not settings'} of ${entry.name} (${why}); leave ${foreign.length === 1 ? 'it' : 'them'} out`);
}

/** The config: the preset's values, overridden by every flag given on the command line (see AlgorithmEntry.adjustGiven). */
export function configFromOptions<C extends BaseConfig, S extends BaseState<C>>(entry: AlgorithmEntry<C, S>, command: Command, presetName: string): C {
  const config = entry.preset(presetName);
  const values = command.opts<Record<string, unknown>>();
  const given = (key: keyof C) => command.getOptionValueSource(String(key)) === 'cli';
  for (const key of schemaKeys(entry.config.fields)) {
    if (given(key)) (config as unknown as Record<string, unknown>)[String(key)] = values[String(key)];
  }
  entry.adjustGiven?.(config, given);
  return config;
}
