/**
 * A vitest reporter that ends the run with one line when tests were skipped for lack of a WebGPU
 * adapter or Chromium (suites tagged by requirements.ts): how many, and what installs the rest.
 */
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import { INSTALL_COMMAND, type Requirement } from './requirements.js';

const LACKING: Record<Requirement, string> = { webgpu: 'no WebGPU adapter', chromium: 'no Chromium', 'user-namespaces': 'no `unshare -Urm` for a small or read-only mount' };
const NOUN: Record<Requirement, string> = { webgpu: 'WebGPU', chromium: 'browser', 'user-namespaces': 'full-disk and read-only-mount' };

export class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const line = skipSummary(testModules);
    if (line !== null) process.stdout.write(`${line}\n`);
  }
}

/** The summary line, or null when nothing was skipped for a missing requirement. */
export function skipSummary(testModules: ReadonlyArray<TestModule>): string | null {
  const counts = new Map<Requirement, number>();
  for (const module of testModules) {
    for (const test of module.children.allTests('skipped')) {
      const requirement = requirementOf(test);
      if (requirement !== undefined) counts.set(requirement, (counts.get(requirement) ?? 0) + 1);
    }
  }
  if (counts.size === 0) return null;
  const parts = (Object.keys(NOUN) as Requirement[])
    .filter((requirement) => counts.has(requirement))
    .map((requirement) => {
      const n = counts.get(requirement) ?? 0;
      return `${n} ${NOUN[requirement]} test${n === 1 ? '' : 's'} (${LACKING[requirement]})`;
    });
  return `SKIPPED ${parts.join(' and ')}: \`${INSTALL_COMMAND}\` (as root) installs Mesa's lavapipe and Chromium; with CI=true these tests fail instead.`;
}

function requirementOf(test: TestCase): Requirement | undefined {
  let parent: TestSuite | TestModule = test.parent;
  for (;;) {
    const requirement = parent.meta().skippedFor;
    if (requirement !== undefined) return requirement;
    if (parent.type === 'module') return undefined;
    parent = parent.parent;
  }
}
