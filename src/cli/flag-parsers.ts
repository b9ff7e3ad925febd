/**
 * Parsers of flag values, one per kind of value, each with one error style: commander reports the
 * error as "option '--x <value>' argument 'y' is invalid. <our message>" and exits.
 */
import { InvalidArgumentError as CommanderArgumentError } from 'commander';

/** A finite number. */
export function numberFlag(flag: string): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x)) throw new CommanderArgumentError(`${flag} expects a number, got '${value}'`);
    return x;
  };
}

/** An integer >= 0 that a double holds exactly. */
export function nonNegativeIntegerFlag(flag: string): (value: string) => number {
  return (value) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(x) || x < 0) throw new CommanderArgumentError(`${flag} expects a non-negative integer, got '${value}'`);
    return x;
  };
}

/** Comma-separated positive layer widths, like 256,256. */
export function layerWidthsFlag(flag: string): (value: string) => number[] {
  return (value) => {
    const parts = value.split(',').map((s) => Number(s.trim()));
    if (parts.length === 0 || parts.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new CommanderArgumentError(`${flag} expects comma-separated positive layer widths like 256,256, got '${value}'`);
    }
    return parts;
  };
}
