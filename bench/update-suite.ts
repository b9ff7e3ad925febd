/**
 * What the Node update suites (bench/suites/dqn-update.ts, bench/suites/pqn-update.ts) share: the
 * NumPy reference served by a Python child process on one thread, the WebGPU backend when an
 * adapter exists, and the CPU backend's kernel variants. Node only (the page bench uses
 * bench/dqn/update-bench.ts alone).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { CpuBackend } from '../src/backend/cpu/cpu-backend.js';
import { availableCpuKernels } from '../src/backend/cpu/cpu-kernels.js';
import { NoAdapterError, WebGpuBackend } from '../src/backend/webgpu/index.js';

/** One BLAS thread, whatever the caller's environment says. */
export const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** A NumPy script in --serve mode: one JSON request and one JSON reply a line. */
export class NumpyServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;
  private stderr = '';

  constructor(private readonly script: string) {
    this.child = spawn('python3', [script, '--serve'], { env: { ...process.env, ...ONE_THREAD } });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.reader = createInterface({ input: this.child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(message) + '\n');
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${this.script} exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(value) as Record<string, unknown>;
  }

  close(): void {
    this.child.stdin.end();
    this.reader.close();
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** The script's server, or why there is none (no python3, no NumPy). */
export function numpyOrReason(script: string): NumpyServer | string {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error) return `python3 not found (${probe.error.message})`;
  if (probe.status !== 0) return 'python3 has no NumPy';
  return new NumpyServer(script);
}

export async function webgpuOrReason(): Promise<WebGpuBackend | string> {
  try {
    return await WebGpuBackend.create();
  } catch (error) {
    if (error instanceof NoAdapterError) return `no WebGPU adapter (${error.message})`;
    throw error;
  }
}

/** The CPU backend's kernel variants this runtime has (bench/run.ts opts into relaxed SIMD). */
export function cpuVariants(): CpuBackend[] {
  return availableCpuKernels().map((kernels) => new CpuBackend({ kernels }));
}
