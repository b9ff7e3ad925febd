/** Counts of the GPU objects a backend created, to prove a warmed-up training step creates none. */

export interface GpuObjectCounts {
  buffers: number;
  bindGroups: number;
  bindGroupLayouts: number;
  pipelineLayouts: number;
  pipelines: number;
  shaderModules: number;
  /** Command encoders: one per submission, inherent to WebGPU (not a cached object). */
  commandEncoders: number;
  /** queue.submit calls. */
  submits: number;
}

export function zeroCounts(): GpuObjectCounts {
  return { buffers: 0, bindGroups: 0, bindGroupLayouts: 0, pipelineLayouts: 0, pipelines: 0, shaderModules: 0, commandEncoders: 0, submits: 0 };
}

/** Total of the cached object kinds (everything but command encoders and submits). */
export function cachedObjectTotal(c: GpuObjectCounts): number {
  return c.buffers + c.bindGroups + c.bindGroupLayouts + c.pipelineLayouts + c.pipelines + c.shaderModules;
}
