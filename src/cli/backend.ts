/** The compute backend a CLI run uses, and how it is named in the banner. */
import type { Backend } from '../backend/backend.js';
import { createBackend } from '../backend/create-backend.js';

/** Opens the backend `kind` names; notices (such as 'auto' falling back to the CPU) go to stderr. */
export function openBackend(kind: string): Promise<Backend> {
  // createBackend's rule: 'auto' trains on the CPU (faster) when the only WebGPU adapter is a software one.
  return createBackend(kind, { onNotice: (message) => process.stderr.write(message + '\n') });
}

/** 'cpu', or 'webgpu (<adapter>)'. */
export function describeBackend(backend: Backend): string {
  const description = (backend as { adapterDescription?: string }).adapterDescription;
  return description ? `${backend.name} (${description})` : backend.name;
}
