/** Errors the engine throws on bad input. Each message names the offending thing (flag, file, shape, name). */

/** Two shapes that must agree do not; the message names both. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** An unknown name (activation, loss, env id, preset...); the message lists the valid ones. */
export class UnknownNameError extends Error {
  override name = 'UnknownNameError';
  constructor(kind: string, given: string, valid: readonly string[], hint?: string) {
    super(`unknown ${kind} '${given}'; valid: ${valid.join(', ')}${hint !== undefined ? `; ${hint}` : ''}`);
  }
}

/** A value outside its allowed range or of the wrong kind (hyper-parameter, action, option). */
export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

/** Checks that `given` is one of `valid` and narrows its type. */
export function checkName<T extends string>(kind: string, given: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(given)) return given as T;
  throw new UnknownNameError(kind, given, valid);
}

/** Formats a shape the way NumPy prints it: (3, 4) or (5,). */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The text of anything thrown: an Error's message, the `message` of an error-like object (a
 * GPUError, say), else the value as a string.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}
