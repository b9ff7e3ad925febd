/**
 * The hyper-parameter form: one labelled control per DqnConfig field (the main ones in view,
 * the rest under "More hyper-parameters"), filled from a preset and read back into a DqnConfig.
 * The field table is keyed by DqnConfig, so a new config field fails to compile until it has a control.
 */
import { ACTIVATIONS } from '../backend/backend.js';
import { registeredEnvIds } from '../envs/registry.js';
import { REWARD_SHAPINGS } from '../envs/wrappers/reward-shaping.js';
import { INITIALIZERS } from '../nn/init.js';
import { DQN_LOSSES, EPSILON_SCHEDULES, NON_FINITE_POLICIES, TARGET_UPDATES, validateConfig, type DqnConfig } from '../rl/config.js';

type FieldKind = 'int' | 'float' | 'bool' | 'choice' | 'widths';

interface FieldSpec {
  label: string;
  kind: FieldKind;
  /** Shown in view; the others sit under "More hyper-parameters". */
  main?: boolean;
  choices?: () => readonly string[];
  /** Tooltip. */
  help?: string;
}

/** Every DqnConfig field, in display order. */
export const CONFIG_FIELDS: Record<keyof DqnConfig, FieldSpec> = {
  env: { label: 'Environment', kind: 'choice', main: true, choices: registeredEnvIds },
  steps: { label: 'Env steps (0 = no limit)', kind: 'int', main: true, help: 'Step budget of the run' },
  episodes: { label: 'Episodes (0 = no limit)', kind: 'int', main: true, help: 'Episode budget of the run' },
  lr: { label: 'Learning rate', kind: 'float', main: true, help: 'Adam learning rate' },
  batchSize: { label: 'Batch size', kind: 'int', main: true },
  hidden: { label: 'Hidden layers', kind: 'widths', main: true, help: 'Comma-separated widths, e.g. 256,256' },
  gamma: { label: 'Discount γ', kind: 'float', main: true },
  nStep: { label: 'n-step returns', kind: 'int', help: 'Rewards summed over up to N steps of an episode before bootstrapping (1: plain DQN)' },
  rewardShaping: { label: 'Reward shaping', kind: 'choice', choices: () => ['none', ...Object.keys(REWARD_SHAPINGS)] },
  activation: { label: 'Activation', kind: 'choice', choices: () => ACTIVATIONS.filter((a) => a !== 'softmax') },
  init: { label: 'Initializer', kind: 'choice', choices: () => INITIALIZERS },
  dueling: { label: 'Dueling head', kind: 'bool' },
  munchausen: { label: 'Munchausen α (0 = off)', kind: 'float', help: "Munchausen DQN: a bonus α τ log π(a|s) for the action taken and a soft value of s' (no Double DQN, no quantiles)" },
  munchausenTau: { label: 'Munchausen τ', kind: 'float', help: 'The entropy temperature of π = softmax(Q_target / τ)' },
  quantiles: { label: 'Quantiles per action (QR-DQN)', kind: 'int', help: '1: a plain DQN head; N > 1: QR-DQN with N quantiles (Huber loss, no dueling)' },
  doubleDqn: { label: 'Double DQN', kind: 'bool' },
  adamEps: { label: 'Adam ε', kind: 'float' },
  loss: { label: 'Loss', kind: 'choice', choices: () => DQN_LOSSES },
  huberDelta: { label: 'Huber δ', kind: 'float' },
  maxGradNorm: { label: 'Max grad norm (0 = off)', kind: 'float' },
  bufferSize: { label: 'Replay buffer size', kind: 'int' },
  numEnvs: { label: 'Environments', kind: 'int', main: true, help: 'Environments stepped side by side, acting through one forward pass per step' },
  actingGroups: { label: 'Acting groups (1 or 2)', kind: 'int', help: '2: the envs act in two halves, the host stepping one while the device computes Q for the other' },
  learningStarts: { label: 'Learning starts (steps)', kind: 'int' },
  trainFreq: { label: 'Train every (vector steps)', kind: 'int' },
  gradientSteps: { label: 'Gradient steps per round', kind: 'int' },
  targetUpdate: { label: 'Target update', kind: 'choice', choices: () => TARGET_UPDATES },
  tau: { label: 'Soft update τ', kind: 'float' },
  targetUpdateInterval: { label: 'Hard copy every (steps)', kind: 'int' },
  policyAverageTau: { label: 'Policy average τ (0 = off)', kind: 'float', help: 'Evaluate, keep and save an average of the online weights that moves by τ after every update' },
  epsilonSchedule: { label: 'ε schedule', kind: 'choice', choices: () => EPSILON_SCHEDULES },
  epsilonStart: { label: 'ε start', kind: 'float' },
  epsilonEnd: { label: 'ε end', kind: 'float' },
  epsilonDecay: { label: 'ε decay per episode', kind: 'float' },
  explorationFraction: { label: 'Exploration fraction', kind: 'float' },
  evalFreq: { label: 'Evaluate every (steps, 0 = off)', kind: 'int' },
  evalEpisodes: { label: 'Episodes per evaluation', kind: 'int' },
  lossReadInterval: { label: 'Read loss every (updates)', kind: 'int' },
  onNonFinite: { label: 'On a non-finite update', kind: 'choice', choices: () => NON_FINITE_POLICIES, help: 'stop training, or skip the round of updates (slower)' },
};

const FIELD_KEYS = Object.keys(CONFIG_FIELDS) as (keyof DqnConfig)[];

/** The element id of a field's control. */
export function fieldId(key: keyof DqnConfig): string {
  return `cfg-${key}`;
}

function makeControl(key: keyof DqnConfig, spec: FieldSpec): HTMLInputElement | HTMLSelectElement {
  if (spec.kind === 'choice') {
    const select = document.createElement('select');
    for (const choice of spec.choices?.() ?? []) select.append(new Option(choice, choice));
    select.id = fieldId(key);
    select.name = key;
    return select;
  }
  const input = document.createElement('input');
  input.id = fieldId(key);
  input.name = key;
  if (spec.kind === 'bool') input.type = 'checkbox';
  else if (spec.kind === 'widths') {
    input.type = 'text';
    input.pattern = '\\s*\\d+(\\s*,\\s*\\d+)*\\s*';
  } else {
    input.type = 'number';
    input.step = spec.kind === 'int' ? '1' : 'any';
    input.min = '0';
  }
  return input;
}

/** The form's controls, built into `main` (the main fields) and `more` (the rest). */
export class ConfigForm {
  private readonly controls = new Map<keyof DqnConfig, HTMLInputElement | HTMLSelectElement>();

  constructor(main: HTMLElement, more: HTMLElement) {
    for (const key of FIELD_KEYS) {
      const spec = CONFIG_FIELDS[key];
      const control = makeControl(key, spec);
      const label = document.createElement('label');
      label.className = spec.kind === 'bool' ? 'field field-check' : 'field';
      label.htmlFor = control.id;
      const text = document.createElement('span');
      text.textContent = spec.label;
      if (spec.help) label.title = spec.help;
      if (spec.kind === 'bool') label.append(control, text);
      else label.append(text, control);
      (spec.main ? main : more).append(label);
      this.controls.set(key, control);
    }
  }

  /** Fills every control from `config`. */
  fill(config: DqnConfig): void {
    for (const key of FIELD_KEYS) {
      const control = this.controls.get(key) as HTMLInputElement | HTMLSelectElement;
      const value = config[key];
      if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
      else control.value = Array.isArray(value) ? value.join(',') : String(value);
    }
  }

  /** The config the controls describe; throws (InvalidArgumentError or Error) naming the bad field. */
  read(): DqnConfig {
    const out: Record<string, unknown> = {};
    for (const key of FIELD_KEYS) {
      const spec = CONFIG_FIELDS[key];
      const control = this.controls.get(key) as HTMLInputElement | HTMLSelectElement;
      if (spec.kind === 'bool') out[key] = (control as HTMLInputElement).checked;
      else if (spec.kind === 'choice') out[key] = control.value;
      else if (spec.kind === 'widths') {
        const widths = control.value.split(',').map((s) => Number(s.trim()));
        if (control.value.trim() === '' || widths.some((w) => !Number.isInteger(w) || w < 1)) {
          throw new Error(`${spec.label}: expected comma-separated positive integers, got '${control.value}'`);
        }
        out[key] = widths;
      } else {
        const value = control.value.trim() === '' ? Number.NaN : Number(control.value);
        if (!Number.isFinite(value)) throw new Error(`${spec.label}: expected a number, got '${control.value}'`);
        out[key] = value;
      }
    }
    const config = out as unknown as DqnConfig;
    validateConfig(config, (key) => CONFIG_FIELDS[key].label);
    return config;
  }

  /** Enables or disables every control (settings are locked while a run exists). */
  setDisabled(disabled: boolean): void {
    for (const control of this.controls.values()) control.disabled = disabled;
  }

  /** Sets one field (used when uploaded weights dictate the hidden widths). */
  setHidden(widths: readonly number[]): void {
    (this.controls.get('hidden') as HTMLInputElement).value = widths.join(',');
  }
}
