/**
 * Config values (numbers, strings, booleans, the hidden widths' array) compared and shown the way
 * the CLI's flags write them: the one definition for every check that compares a config with a
 * checkpoint's, a weights file's or a preset's and names the difference.
 */

/** Whether two config values are equal (arrays element by element). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A config value as a flag takes it: an array comma-separated (`--hidden 64,64`), anything else as String() writes it. */
export function showValue(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}
