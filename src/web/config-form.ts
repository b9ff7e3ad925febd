/**
 * The hyper-parameter form: one labelled control per config field, derived from an algorithm's
 * schema (rl/config-schema.ts: its label, kind, choices and doc as the tooltip; the `main` fields
 * in view, the rest under "More hyper-parameters"), filled from a preset and read back into a
 * config checked by validateWithSchema, whose messages name the field by its label. The page
 * builds one per algorithm chosen in its menu.
 */
import { schemaKeys, validateWithSchema, type ConfigSpec, type FieldSpec } from '../rl/config-schema.js';

/** The element id of a field's control. */
export function fieldId(key: string): string {
  return `cfg-${key}`;
}

function makeControl(key: string, spec: FieldSpec<unknown>): HTMLInputElement | HTMLSelectElement {
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

/** The form's controls for config type C, built into `main` (the main fields) and `more` (the rest), replacing what they held. */
export class ConfigForm<C> {
  private readonly controls = new Map<keyof C, HTMLInputElement | HTMLSelectElement>();
  private readonly keys: (keyof C)[];

  constructor(
    private readonly spec: ConfigSpec<C>,
    main: HTMLElement,
    more: HTMLElement,
  ) {
    this.keys = schemaKeys(spec.fields);
    main.replaceChildren();
    more.replaceChildren();
    for (const key of this.keys) {
      const field = this.field(key);
      const control = makeControl(String(key), field);
      const label = document.createElement('label');
      label.className = field.kind.type === 'boolean' ? 'field field-check' : 'field';
      label.htmlFor = control.id;
      const text = document.createElement('span');
      text.textContent = field.label;
      label.title = field.doc;
      if (field.kind.type === 'boolean') label.append(control, text);
      else label.append(text, control);
      (field.main ? main : more).append(label);
      this.controls.set(key, control);
    }
  }

  private field(key: keyof C): FieldSpec<unknown> {
    return this.spec.fields[key] as FieldSpec<unknown>;
  }

  private control(key: keyof C): HTMLInputElement | HTMLSelectElement {
    return this.controls.get(key) as HTMLInputElement | HTMLSelectElement;
  }

  /** Fills every control from `config`. */
  fill(config: C): void {
    for (const key of this.keys) {
      const control = this.control(key);
      const value: unknown = config[key];
      if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
      else control.value = Array.isArray(value) ? value.join(',') : String(value);
    }
  }

  /** The value a field's control shows, unchecked (the env menu's, say). */
  shown(key: keyof C): string {
    return this.control(key).value;
  }

  /** The config the controls describe; throws (InvalidArgumentError or Error) naming the bad field by its label. */
  read(): C {
    const out: Record<string, unknown> = {};
    for (const key of this.keys) {
      const field = this.field(key);
      const control = this.control(key);
      const name = String(key);
      if (field.kind.type === 'boolean') out[name] = (control as HTMLInputElement).checked;
      else if (field.kind.type === 'choice') out[name] = control.value;
      else if (field.kind.type === 'widths') {
        const widths = control.value.split(',').map((s) => Number(s.trim()));
        if (control.value.trim() === '' || widths.some((w) => !Number.isInteger(w) || w < 1)) {
          throw new Error(`${field.label}: expected comma-separated positive integers, got '${control.value}'`);
        }
        out[name] = widths;
      } else {
        const value = control.value.trim() === '' ? Number.NaN : Number(control.value);
        if (!Number.isFinite(value)) throw new Error(`${field.label}: expected a number, got '${control.value}'`);
        out[name] = value;
      }
    }
    // Every field of the schema was read above; validateWithSchema checks each one's kind and range.
    const config = out as C;
    validateWithSchema(this.spec, config, (key) => this.field(key).label);
    return config;
  }

  /** Enables or disables every control (settings are locked while a run exists). */
  setDisabled(disabled: boolean): void {
    for (const control of this.controls.values()) control.disabled = disabled;
  }
}
