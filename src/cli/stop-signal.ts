/**
 * Stopping a training run from outside: Ctrl-C (SIGINT), `timeout` or `docker stop` (SIGTERM), a
 * closed terminal or SSH session (SIGHUP). The first signal asks the loop to stop at the next step
 * and save a checkpoint and the weights, and to say how to resume; a second one exits at once,
 * leaving saved files intact (a write in progress is abandoned: its temp file is removed and its
 * target keeps its previous content). The exit code is 128 + the signal's number.
 *
 * The one place for signal handling in the CLI.
 */
import { constants } from 'node:os';
import { removePendingTempFilesSync } from '../io/node/atomic-write.js';
import { warn } from './console.js';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignalName = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number: what a shell reports for a process ended by it. */
export function signalExitCode(signal: StopSignalName): number {
  return 128 + constants.signals[signal];
}

/** How a user sends `signal` again, for the message. */
function again(signal: StopSignalName): string {
  return signal === 'SIGINT' ? 'Ctrl-C again' : `another ${signal}`;
}

export class StopSignal {
  /** The first signal received, or null. */
  signal: StopSignalName | null = null;
  private readonly handlers = new Map<StopSignalName, () => void>();

  constructor(
    /** Prints a line without breaking the progress bar. */
    private readonly announce: (text: string) => void,
    /** Runs before an immediate exit (stop the progress bar, release the run folder). */
    private readonly beforeExit: () => void,
  ) {
    for (const signal of STOP_SIGNALS) {
      const handler = () => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** True once a stop was asked for. */
  get requested(): boolean {
    return this.signal !== null;
  }

  /** The exit code for the signal received (0 without one). */
  get exitCode(): number {
    return this.signal === null ? 0 : signalExitCode(this.signal);
  }

  private onSignal(signal: StopSignalName): void {
    if (this.signal !== null) {
      this.beforeExit();
      removePendingTempFilesSync();
      warn(`\n${signal} again: stopped at once without saving more (files already saved are intact)\n`);
      process.exit(signalExitCode(this.signal));
    }
    this.signal = signal;
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    this.announce(`${name}: stopping to save a checkpoint and the weights (${again(signal)} to quit at once)`);
  }

  /** Stops listening (the default actions apply again). */
  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }
}
