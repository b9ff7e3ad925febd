/** Errors raised by the WebGPU backend. */

/** A WGSL module failed to compile or a pipeline failed to build; the message carries the compiler's messages. */
export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
  /** One line per compiler message: `file:line:col: error: text`. */
  readonly messages: readonly string[];
  constructor(what: string, messages: readonly string[]) {
    super(`${what}\n${messages.join('\n')}`);
    this.messages = messages;
  }
}

/** The GPU device was lost (driver reset, destroy, out of memory); the backend cannot continue. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/** A WebGPU validation or out-of-memory error nobody captured, surfaced on the backend's next call. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** The GPU ran out of memory (a buffer could not be allocated): a smaller network or batch needs less. */
export class GpuOutOfMemoryError extends GpuError {
  override name = 'GpuOutOfMemoryError';
}

/** No WebGPU adapter (or device) could be obtained; the message says why. */
export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}
