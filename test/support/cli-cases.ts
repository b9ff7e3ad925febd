/**
 * Runs many refused command lines through the CLI's real entry point (`main` of the compiled
 * dist/cli/train.js, what bin/train.js calls) in one process, each in a fresh empty folder, and
 * prints one JSON line: per case the exit code, stderr, wall time and the folder's entries after.
 * For walks over every flag where a process per case would cost minutes; every case must be one
 * the CLI refuses before any work (nothing else is isolated between cases).
 *
 *   node --import tsx test/support/cli-cases.ts <scratch folder>  < cases.json   (an array of argument lists)
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './cli-process.js';

const { main } = (await import(pathToFileURL(join(root, 'dist', 'cli', 'train.js')).href)) as { main: (argv: string[]) => Promise<void> };
const scratch = process.argv[2];
const cases = JSON.parse(readFileSync(0, 'utf8')) as string[][];
const results: { code: number; stderr: string; ms: number; left: string[] }[] = [];
const write = process.stderr.write.bind(process.stderr);
for (const args of cases) {
  const folder = mkdtempSync(join(scratch, 'case-'));
  process.chdir(folder);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  const started = performance.now();
  try {
    await main([process.execPath, 'train.js', ...args]);
  } finally {
    process.stderr.write = write;
  }
  results.push({ code: Number(process.exitCode ?? 0), stderr, ms: performance.now() - started, left: readdirSync(folder) });
}
process.exitCode = 0;
process.stdout.write(JSON.stringify(results) + '\n');
