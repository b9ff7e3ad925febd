/**
 * Reads files as the engine reads a user's, one after another in this process, each measured (its
 * time, and how much it raised the peak resident set: peak-memory.ts), for
 * test/io-zip-bombs.test.ts, whose hostile files must be refused in little time and memory. The
 * test runs it as a child, with its address space limited so that a reader which believed a bomb
 * fails at once instead of filling the machine:
 *
 *   node --expose-gc --import tsx test/support/read-files.ts <reader> <file>...
 *
 * Readers: `npz` (readNpz, no expectations), `weights` (a CartPole 4-8-2 network's weights, as
 * --load and the page read them), `checkpoint` (a trainer checkpoint, as --resume reads it).
 * Prints one JSON line: { vmPeakKiB, results: [{ file, error, ms, peakGrowthMiB }] }, error null
 * for a file that read.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readNpz } from '../../src/io/npz.js';
import { decodeTrainerCheckpoint } from '../../src/rl/trainer-checkpoint.js';
import { decodeWeightsNpz } from '../../src/rl/weights-file.js';
import { measure, vmPeakKiB } from './peak-memory.js';

/** The parameters of CartPole's 4-8-2 Q-network: W1, b1, W2, b2. */
export const CARTPOLE_8_SHAPES: [number, number][] = [[4, 8], [1, 8], [8, 2], [1, 2]];

const READERS: Record<string, (bytes: Uint8Array, fileName: string) => unknown> = {
  npz: (bytes, fileName) => readNpz(bytes, fileName),
  weights: (bytes, fileName) => decodeWeightsNpz(bytes, CARTPOLE_8_SHAPES, fileName),
  checkpoint: (bytes, fileName) => decodeTrainerCheckpoint(bytes, fileName),
};

function main(readerName: string, files: string[]): void {
  const read = READERS[readerName];
  if (read === undefined) throw new Error(`no reader '${readerName}'`);
  const results = files.map((file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const { value: error, ms, peakGrowthMiB } = measure(() => {
      try {
        read(bytes, basename(file));
        return null;
      } catch (caught) {
        return caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
      }
    });
    return { file: basename(file), error, ms: Math.round(ms), peakGrowthMiB: Math.round(peakGrowthMiB * 10) / 10 };
  });
  process.stdout.write(`${JSON.stringify({ vmPeakKiB: vmPeakKiB(), results })}\n`);
}

if (process.argv[1] === import.meta.filename) main(process.argv[2] ?? '', process.argv.slice(3));
