/**
 * Compiles shaders/*.wgsl and builds one compute pipeline per kernel, once, when the backend is
 * created. Compiler errors become a ShaderCompileError carrying the WGSL messages with line,
 * column and the offending source line.
 */
import { ShaderCompileError } from './gpu-errors.js';
import { errorMessage } from '../../errors.js';
import type { GpuObjectCounts } from './gpu-counters.js';
import {
  KERNELS,
  KERNEL_NAMES,
  SHADER_FILES,
  SUBGROUP_LANES,
  type KernelName,
  type KernelRequirement,
  type KernelSpec,
  type ShaderFile,
  type SubgroupLanes,
} from './kernels.js';

/** `label:line:col: error: message` lines, each followed by the source line. */
function formatMessages(label: string, code: string, messages: readonly GPUCompilationMessage[]): string[] {
  const lines = code.split('\n');
  const out: string[] = [];
  for (const m of messages) {
    out.push(`${label}:${m.lineNum}:${m.linePos}: ${m.type}: ${m.message}`);
    const source = lines[m.lineNum - 1];
    if (m.lineNum > 0 && source !== undefined) out.push(`    ${source.trim()}`);
  }
  return out;
}

/** Compiles one WGSL module; throws ShaderCompileError with the compiler's messages on failure. */
export async function compileShaderModule(device: GPUDevice, label: string, code: string, counts?: GpuObjectCounts): Promise<GPUShaderModule> {
  // Push, create and pop synchronously so that concurrent compilations never share a scope.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code });
  const scope = device.popErrorScope();
  if (counts) counts.shaderModules++;
  const info = await module.getCompilationInfo();
  const scopeError = await scope;
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0 || scopeError !== null) {
    const messages = formatMessages(label, code, errors);
    if (messages.length === 0 && scopeError !== null) messages.push(`${label}: ${scopeError.message}`);
    throw new ShaderCompileError(`WGSL compilation of ${label} failed`, messages);
  }
  return module;
}

/**
 * Group 1 holds the op's parameters: one uniform buffer range (a slot of the uniform ring)
 * at a fixed offset. Not a dynamic offset: Mesa's lavapipe copies a descriptor set with dynamic
 * offsets into freshly mapped memory at every bind (an mmap, page faults and an munmap with its
 * TLB shootdown per dispatch), which about doubled the driver's cost of a small dispatch.
 */
export const PARAMS_GROUP = 1;

/** Creates the layout of group 1 (the parameter slot); layouts made from equal descriptors are compatible. */
export function createParamsLayout(device: GPUDevice, counts: GpuObjectCounts): GPUBindGroupLayout {
  counts.bindGroupLayouts++;
  return device.createBindGroupLayout({
    label: 'params',
    entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }],
  });
}

/** Bind group layouts of group 0 by access string ('rrw'...): storage bindings 1..n; pipeline layouts add group 1. */
export class LayoutCache {
  private readonly groups = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, GPUPipelineLayout>();
  private params: GPUBindGroupLayout | null = null;
  constructor(
    private readonly device: GPUDevice,
    private readonly counts: GpuObjectCounts,
  ) {}

  bindGroupLayout(access: string): GPUBindGroupLayout {
    let layout = this.groups.get(access);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < access.length; i++) {
        const type: GPUBufferBindingType = access[i] === 'w' ? 'storage' : 'read-only-storage';
        entries.push({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
      }
      layout = this.device.createBindGroupLayout({ label: access, entries });
      this.counts.bindGroupLayouts++;
      this.groups.set(access, layout);
    }
    return layout;
  }

  pipelineLayout(access: string): GPUPipelineLayout {
    let layout = this.pipelines.get(access);
    if (layout === undefined) {
      this.params ??= createParamsLayout(this.device, this.counts);
      layout = this.device.createPipelineLayout({ label: `${access}+params`, bindGroupLayouts: [this.bindGroupLayout(access), this.params] });
      this.counts.pipelineLayouts++;
      this.pipelines.set(access, layout);
    }
    return layout;
  }
}

/**
 * The text of shaders/<file>.wgsl with every line `//#include <name>` replaced by the text of
 * shaders/<name>.wgsl (one level: snippets include nothing), and `//#include subgroup-lanes` by
 * subgroup-lanes<lanes>.wgsl. Compiler messages keep their line numbers only above the first
 * include, so kernel files include snippets after their bindings.
 */
export function expandIncludes(file: ShaderFile, sources: ReadonlyMap<ShaderFile, string>, lanes: SubgroupLanes | null = null): string {
  const code = sources.get(file);
  if (code === undefined) throw new Error(`internal: shader ${file} not loaded`);
  return code.replace(/^\/\/#include (\S+)\s*$/gm, (_, included: string) => {
    if (included === 'subgroup-lanes' && lanes === null) throw new Error(`internal: ${file}.wgsl needs the device's subgroup size`);
    const name = included === 'subgroup-lanes' ? `subgroup-lanes${lanes}` : included;
    const snippet = sources.get(name as ShaderFile);
    if (snippet === undefined) throw new Error(`${file}.wgsl includes '${name}', which is not in SHADER_SNIPPETS`);
    return snippet;
  });
}

/**
 * The subgroup size linear-subgroup.wgsl can run with on `device`: the `subgroups` feature with a
 * fixed subgroup size (min = max) it has lane primitives for (4: SwiftShader, 8: llvmpipe), else null.
 */
export function subgroupLanes(device: GPUDevice): SubgroupLanes | null {
  const info = device.adapterInfo as GPUAdapterInfo | undefined;
  if (!device.features.has('subgroups') || info === undefined || info.subgroupMinSize !== info.subgroupMaxSize) return null;
  return SUBGROUP_LANES.find((lanes) => lanes === info.subgroupMinSize) ?? null;
}

/** Whether `device` offers what a kernel requires (see KernelSpec.requires). */
export function deviceOffers(device: GPUDevice, requirement: KernelRequirement | undefined): boolean {
  switch (requirement) {
    case undefined:
      return true;
    case 'subgroups':
      return subgroupLanes(device) !== null;
  }
}

/** The pipeline of every kernel the device can run (a kernel whose requirement it lacks has none). */
export type KernelPipelines = Partial<Record<KernelName, GPUComputePipeline>>;

/** Compiles the shader files and builds the pipeline of every kernel the device offers what it requires (in parallel). */
export async function buildPipelines(
  device: GPUDevice,
  loadSource: (file: ShaderFile) => Promise<string>,
  layouts: LayoutCache,
  counts: GpuObjectCounts,
): Promise<KernelPipelines> {
  const sources = new Map<ShaderFile, string>();
  await Promise.all(SHADER_FILES.map(async (file) => sources.set(file, await loadSource(file))));
  const kernels = KERNEL_NAMES.filter((k) => deviceOffers(device, (KERNELS[k] as KernelSpec).requires));
  const kernelFiles = [...new Set(kernels.map((k) => KERNELS[k].file))];
  const modules = new Map<ShaderFile, GPUShaderModule>();
  await Promise.all(
    kernelFiles.map(async (file) => {
      const code = expandIncludes(file, sources, subgroupLanes(device));
      modules.set(file, await compileShaderModule(device, `${file}.wgsl`, code, counts));
    }),
  );
  const entries = await Promise.all(
    kernels.map(async (name): Promise<[KernelName, GPUComputePipeline]> => {
      const spec = KERNELS[name];
      const module = modules.get(spec.file);
      if (module === undefined) throw new Error(`internal: shader ${spec.file} not compiled`);
      const layout = layouts.pipelineLayout(spec.access);
      device.pushErrorScope('validation');
      const pending = device.createComputePipelineAsync({ label: name, layout, compute: { module, entryPoint: spec.entry } });
      const scope = device.popErrorScope();
      counts.pipelines++;
      let pipeline: GPUComputePipeline;
      try {
        pipeline = await pending;
      } catch (error) {
        await scope;
        throw new ShaderCompileError(`pipeline ${name} (${spec.file}.wgsl, entry ${spec.entry}) failed`, [errorMessage(error)]);
      }
      const scopeError = await scope;
      if (scopeError !== null) {
        throw new ShaderCompileError(`pipeline ${name} (${spec.file}.wgsl, entry ${spec.entry}) failed`, [scopeError.message]);
      }
      return [name, pipeline];
    }),
  );
  return Object.fromEntries(entries) as KernelPipelines;
}
