/**
 * A declarative schema for an algorithm's hyper-parameters: one entry per config field, holding
 * its kind (integer, number in a range, choice, boolean, layer widths), its documentation (the
 * CLI's help and the page's tooltip), its label on the page, and the value that checkpoints
 * written before the field existed imply. Cross-field rules sit beside it as a short list.
 *
 * Everything that used to repeat the fields is derived from here: validation (`validateWithSchema`),
 * the CLI's flags (cli/config-flags.ts), the page's form (web/config-form.ts) and checkpoint
 * upgrading (`olderCheckpointValues`). The schema is keyed by the config type, so a field without
 * an entry fails to compile: adding a hyper-parameter is one entry. Browser-safe.
 */
import { InvalidArgumentError } from '../errors.js';

/** What values a field takes. */
export type FieldKind =
  /** A safe integer >= min (and <= max), or one of `values`. */
  | { type: 'integer'; min: 0 | 1; max?: number; values?: readonly number[] }
  /**
   * A finite number: in [min, max] when both are given ((min, max] with `minOpen`), > 0 with
   * `positive`, >= 0 with `offAtZero` (0 turns the feature off), or any finite number.
   */
  | { type: 'number'; min?: number; max?: number; minOpen?: boolean; positive?: boolean; offAtZero?: boolean }
  /** One of the names `choices()` lists (a function: some lists, such as the env registry, grow at run time). */
  | { type: 'choice'; choices: () => readonly string[] }
  | { type: 'boolean' }
  /** Positive layer widths, at least one and at most maxLayers (256,256). */
  | { type: 'widths'; maxLayers: number };

/** One config field. */
export interface FieldSpec<V> {
  kind: FieldKind;
  /** One line: the CLI's --help text and the page's tooltip. */
  doc: string;
  /** The label of its control on the page. */
  label: string;
  /** In view on the page (the other fields sit under "More hyper-parameters"). */
  main?: boolean;
  /** The value a checkpoint written before this field existed means; absent for fields every checkpoint has. */
  olderCheckpoints?: V;
}

/** Every field of config type C, in the order the CLI's help lists them. */
export type ConfigSchema<C> = { readonly [K in keyof C]-?: FieldSpec<C[K]> };

/** How a config field is spelt in messages: the field name itself, the CLI's flag (--batch-size), the page's label. */
export type FieldNamer<C> = (key: keyof C) => string;

/** A rule between fields: the message when `config` breaks it (fields named by `name`), else null. */
export type CrossFieldRule<C> = (config: C, name: FieldNamer<C>) => string | null;

/** An algorithm's hyper-parameters: the fields and the rules between them. */
export interface ConfigSpec<C> {
  fields: ConfigSchema<C>;
  rules: readonly CrossFieldRule<C>[];
}

/** The fields of a schema, in order. */
export function schemaKeys<C>(schema: ConfigSchema<C>): (keyof C)[] {
  return Object.keys(schema) as (keyof C)[];
}

/** camelCase to kebab-case: how a field becomes a flag (batchSize -> batch-size). */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A wrong value as refusals show it: strings quoted (so '' shows), widths comma-separated, absent as 'missing'. */
export function quotedValue(value: unknown): string {
  if (value === undefined) return 'missing';
  return typeof value === 'string' ? `'${value}'` : Array.isArray(value) ? value.join(',') : String(value);
}

/** What is wrong with `value` for a field of `kind` named `field`, or null when it fits. */
export function fieldProblem(kind: FieldKind, value: unknown, field: string): string | null {
  switch (kind.type) {
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} must be a finite number, got ${quotedValue(value)}`;
      if (kind.values !== undefined) {
        return kind.values.includes(value) ? null : `${field} must be ${kind.values.slice(0, -1).join(', ')} or ${kind.values[kind.values.length - 1]}, got ${quotedValue(value)}`;
      }
      if (!Number.isSafeInteger(value) || value < kind.min) {
        return kind.min === 1 ? `${field} must be a positive integer, got ${value}` : `${field} must be a non-negative integer (at most 2^53 - 1), got ${value}`;
      }
      if (kind.max !== undefined && value > kind.max) return `${field} must be at most ${kind.max}, got ${value}`;
      return null;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} must be a finite number, got ${quotedValue(value)}`;
      if (kind.min !== undefined && kind.max !== undefined && !((kind.minOpen ? value > kind.min : value >= kind.min) && value <= kind.max)) {
        return `${field} must be in ${kind.minOpen ? '(' : '['}${kind.min}, ${kind.max}], got ${value}`;
      }
      if (kind.positive && !(value > 0)) return `${field} must be positive, got ${value}`;
      if (kind.offAtZero && !(value >= 0)) return `${field} must be >= 0 (0 = off), got ${value}`;
      return null;
    }
    case 'choice': {
      const choices = kind.choices();
      return typeof value === 'string' && choices.includes(value) ? null : `${field} must be one of ${choices.join(', ')}; got ${quotedValue(value)}`;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : `${field} must be true or false, got ${quotedValue(value)}`;
    case 'widths': {
      if (!Array.isArray(value) || value.length === 0) return `${field} must name at least one layer width, got ${quotedValue(value)}`;
      if (value.length > kind.maxLayers) return `${field} must name at most ${kind.maxLayers} layer widths, got ${value.length}`;
      return value.every((w) => typeof w === 'number' && Number.isSafeInteger(w) && w >= 1) ? null : `${field} must be positive integers, got ${quotedValue(value)}`;
    }
  }
}

/** What starts validateWithSchema's messages: `fields` one about a single field, `rules` one about several. */
export interface MessagePrefix {
  fields: string;
  rules: string;
}

/**
 * Throws InvalidArgumentError naming the first field of the wrong kind or out of range (in schema
 * order), then the first cross-field rule `config` breaks. `name` spells fields in messages, and
 * `prefix` starts them, so that a rule naming several fields says the prefix once
 * (checkpointConfigNaming).
 */
export function validateWithSchema<C>(spec: ConfigSpec<C>, config: C, name: FieldNamer<C> = (key) => String(key), prefix: MessagePrefix = { fields: '', rules: '' }): void {
  for (const key of schemaKeys(spec.fields)) {
    const problem = fieldProblem(spec.fields[key].kind, config[key], `${prefix.fields}${name(key)}`);
    if (problem !== null) throw new InvalidArgumentError(problem);
  }
  for (const rule of spec.rules) {
    const problem = rule(config, name);
    if (problem !== null) throw new InvalidArgumentError(`${prefix.rules}${problem}`);
  }
}

/**
 * validateWithSchema's `name` and `prefix` for the config of the checkpoint `fileName`: "c.zip:
 * checkpoint field 'config.lr' must be ...", and for a rule "c.zip: checkpoint config:
 * 'config.batchSize' 1000 is larger than 'config.bufferSize' 500 ..." (the file named once).
 */
export function checkpointConfigNaming<C>(fileName: string): [FieldNamer<C>, MessagePrefix] {
  return [(key) => `'config.${String(key)}'`, { fields: `${fileName}: checkpoint field `, rules: `${fileName}: checkpoint config: ` }];
}

/** The values checkpoints written before a field existed imply, for every such field. */
export function olderCheckpointValues<C>(schema: ConfigSchema<C>): Partial<C> {
  const out: Partial<C> = {};
  for (const key of schemaKeys(schema)) {
    const value = schema[key].olderCheckpoints;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A value out of the field's range, for tests and the schema walk: null where the kind has no such value (a boolean). */
export function valueOutOfRange(kind: FieldKind): number | string | number[] | null {
  switch (kind.type) {
    case 'integer':
      return kind.values !== undefined ? Math.max(...kind.values) + 1 : kind.max !== undefined ? kind.max + 1 : kind.min - 1;
    case 'number':
      return kind.max !== undefined ? kind.max + 1 : kind.positive ? 0 : kind.offAtZero ? -1 : null;
    case 'choice':
      return 'no-such-choice';
    case 'boolean':
      return null;
    case 'widths':
      return new Array<number>(kind.maxLayers + 1).fill(1);
  }
}
