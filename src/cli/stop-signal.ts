/**
 * Stopping a training run from the terminal: the first Ctrl-C asks the loop to stop at the next
 * step and save a checkpoint and the weights; a second one exits at once, leaving saved files intact.
 */

export class StopSignal {
  /** True once a stop was asked for. */
  requested = false;
  private readonly onSignal = () => {
    if (this.requested) {
      this.beforeExit();
      process.stderr.write('\nstopped without saving (saved files are intact)\n');
      process.exit(130);
    }
    this.requested = true;
    this.announce('Ctrl-C: stopping to save a checkpoint and the weights (Ctrl-C again to quit at once)');
  };

  constructor(
    /** Prints a line without breaking the progress bar. */
    private readonly announce: (text: string) => void,
    /** Runs before an immediate exit (stop the progress bar, say). */
    private readonly beforeExit: () => void,
  ) {
    process.on('SIGINT', this.onSignal);
  }

  /** Stops listening. */
  dispose(): void {
    process.off('SIGINT', this.onSignal);
  }
}
