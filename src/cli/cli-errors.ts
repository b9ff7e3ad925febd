/**
 * How the CLI ends when something goes wrong: one line on stderr starting with "error: ", never a
 * stack trace, and an exit code that says whose problem it is.
 *
 *   0    done (also when stdout was closed early, as by `| head`)
 *   1    the run failed while working (a full disk, a lost GPU, diverging training, a bug)
 *   2    bad input, refused before any work started (a flag, a path, a file, a busy --out)
 *   128+n  stopped by signal n after saving (130 SIGINT, 143 SIGTERM, 129 SIGHUP)
 *
 * Everything the CLI checks before work starts throws (or is wrapped into) a UsageError.
 */
import { CommanderError } from 'commander';
import { errorMessage } from '../errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input found before any work started: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs `check`, turning whatever it throws into a UsageError with the same message (its input was bad). */
export async function asUsage<T>(check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(errorMessage(error));
  }
}

/**
 * Writes `error` to stderr as "error: ..." and returns the exit code for it. Commander has printed
 * its own errors already (it is configured to print one line); --help and --version end with 0.
 */
export function reportFailure(error: unknown, write: (text: string) => void): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  write(`error: ${errorMessage(error)}\n`);
  if (process.env.WEBGPU_RL_DEBUG && error instanceof Error && error.stack) write(`${error.stack}\n`);
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
