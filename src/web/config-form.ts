/**
 * The hyper-parameter form: one labelled control per config field, derived from the algorithm's
 * schema (rl/config-schema.ts: its label, kind, choices and doc as the tooltip; the `main` fields
 * in view, the rest under "More hyper-parameters"), filled from a preset and read back into a
 * DqnConfig checked by validateConfig, whose messages name the field by its label.
 */
import { DQN_CONFIG, validateConfig, type DqnConfig } from '../rl/config.js';
import { schemaKeys, type FieldSpec } from '../rl/config-schema.js';

const FIELDS = DQN_CONFIG.fields;
const FIELD_KEYS = schemaKeys(FIELDS);

/** The element id of a field's control. */
export function fieldId(key: keyof DqnConfig): string {
  return `cfg-${key}`;
}

function makeControl(key: keyof DqnConfig, spec: FieldSpec<unknown>): HTMLInputElement | HTMLSelectElement {
  const kind = spec.kind;
  if (kind.type === 'choice') {
    const select = document.createElement('select');
    for (const choice of kind.choices()) select.append(new Option(choice, choice));
    select.id = fieldId(key);
    select.name = key;
    return select;
  }
  const input = document.createElement('input');
  input.id = fieldId(key);
  input.name = key;
  if (kind.type === 'boolean') input.type = 'checkbox';
  else if (kind.type === 'widths') {
    input.type = 'text';
    input.pattern = '\\s*\\d+(\\s*,\\s*\\d+)*\\s*';
  } else {
    input.type = 'number';
    input.step = kind.type === 'integer' ? '1' : 'any';
  }
  return input;
}

/** The form's controls, built into `main` (the main fields) and `more` (the rest). */
export class ConfigForm {
  private readonly controls = new Map<keyof DqnConfig, HTMLInputElement | HTMLSelectElement>();

  constructor(main: HTMLElement, more: HTMLElement) {
    for (const key of FIELD_KEYS) {
      const spec = FIELDS[key] as FieldSpec<unknown>;
      const control = makeControl(key, spec);
      const label = document.createElement('label');
      label.className = spec.kind.type === 'boolean' ? 'field field-check' : 'field';
      label.htmlFor = control.id;
      const text = document.createElement('span');
      text.textContent = spec.label;
      label.title = spec.doc;
      if (spec.kind.type === 'boolean') label.append(control, text);
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
      const spec = FIELDS[key] as FieldSpec<unknown>;
      const control = this.controls.get(key) as HTMLInputElement | HTMLSelectElement;
      if (spec.kind.type === 'boolean') out[key] = (control as HTMLInputElement).checked;
      else if (spec.kind.type === 'choice') out[key] = control.value;
      else if (spec.kind.type === 'widths') {
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
    validateConfig(config, (key) => FIELDS[key].label);
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
