/**
 * The CLI's config flags, derived from the algorithm's schema (rl/config-schema.ts): one flag per
 * field, named by kebab-case and parsed by its kind, its help the field's doc with the `default`
 * preset's value shown. A flag the user did not give takes the chosen preset's value; ranges and
 * rules between fields are checked by validateConfig (exit code 2 naming the flag).
 */
import { Command, Option } from 'commander';
import { PRESETS, DQN_CONFIG, preset, type DqnConfig } from '../rl/config.js';
import { kebab, schemaKeys, type FieldKind } from '../rl/config-schema.js';
import { sameValue, showValue } from '../rl/config-values.js';
import { layerWidthsFlag, nonNegativeIntegerFlag, numberFlag } from './flag-parsers.js';


type ConfigKey = keyof DqnConfig;

/** The config fields that have flags, in --help order. */
export const CONFIG_KEYS: readonly ConfigKey[] = schemaKeys(DQN_CONFIG.fields);

/** How the CLI spells a config field: its flag. */
export function flagName(key: ConfigKey): string {
  return `--${kebab(key)}`;
}

/** The parser of a flag's value by the field's kind (ranges are checked later, all together, by validateConfig). */
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

/** Adds every config flag to `command`, with the default preset's values as defaults. */
export function addConfigFlags(command: Command): void {
  const defaults = PRESETS.default;
  const seedPreset = PRESETS.seed;
  for (const key of CONFIG_KEYS) {
    const field = DQN_CONFIG.fields[key];
    const flag = flagName(key);
    const differs = sameValue(seedPreset[key], defaults[key]) ? '' : ` [seed preset: ${showValue(seedPreset[key])}]`;
    if (field.kind.type === 'boolean') {
      command.addOption(new Option(flag, `${field.doc}${differs}`).default(defaults[key]));
      command.addOption(new Option(`--no-${kebab(key)}`, `turn ${flag} off`));
      continue;
    }
    const option = new Option(`${flag} <value>`, `${field.doc}${differs}`).default(defaults[key], showValue(defaults[key]));
    if (field.kind.type === 'choice') option.choices(field.kind.choices());
    const parse = parserFor(field.kind, flag);
    if (parse !== null) option.argParser(parse);
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
  const given = (key: ConfigKey) => command.getOptionValueSource(key) === 'cli';
  for (const key of CONFIG_KEYS) {
    if (given(key)) (config as unknown as Record<string, unknown>)[key] = values[key];
  }
  if (given('steps') && !given('episodes')) config.episodes = 0;
  if (given('episodes') && !given('steps')) config.steps = 0;
  return config;
}
