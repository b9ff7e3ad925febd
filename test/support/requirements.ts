/**
 * Tests that need something a machine may lack: a WebGPU adapter, or Chromium. Without it they are
 * skipped, and the run ends with one line counting them (skip-summary-reporter.ts); with CI=true
 * the check that finds it missing throws instead, so nothing is skipped there.
 *
 *   describe('WebGPU backend', needs('webgpu', gpu !== null), () => { ... });
 */
import type { SuiteOptions } from 'vitest';

/** What a skipped suite lacked. */
export type Requirement = 'webgpu' | 'chromium' | 'user-namespaces';

declare module 'vitest' {
  interface TaskMeta {
    /** Set on a suite skipped because the machine lacks this. */
    skippedFor?: Requirement;
  }
}

/** The command that installs what the skipped tests need (lavapipe and Chromium). */
export const INSTALL_COMMAND = '.ci/install-system-deps';

/** Suite options: run when `available`; else skip and tag the suite so the run's last line counts it. */
export function needs(requirement: Requirement, available: boolean): SuiteOptions {
  return available ? {} : { skip: true, meta: { skippedFor: requirement } };
}

/** Throws under CI=true (a missing requirement fails there); elsewhere says nothing: the summary line will. */
export function failOnCi(what: string): void {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${what}; these tests cannot run (${INSTALL_COMMAND} installs what they need)`);
}
