/**
 * Compiles shaders/*.wgsl when the backend is created, and builds each kernel's compute pipeline
 * when the kernel is first dispatched (PipelineCache). Compiler errors become a ShaderCompileError
 * carrying the WGSL messages with line, column and the offending source line.
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

/** The kernels `device` offers what they require (see KernelSpec.requires): the ones a backend on it may build. */
export function offeredKernels(device: GPUDevice): KernelName[] {
  return KERNEL_NAMES.filter((k) => deviceOffers(device, (KERNELS[k] as KernelSpec).requires));
}

/**
 * Compiles, in parallel, the shader file of every kernel `device` offers what it requires (snippets
 * included); throws ShaderCompileError with the compiler's messages for a broken file. Modules are
 * cheap (WGSL is parsed and checked, not compiled for the device): pipelines are what cost.
 */
export async function compileKernelModules(
  device: GPUDevice,
  loadSource: (file: ShaderFile) => Promise<string>,
  counts: GpuObjectCounts,
): Promise<Map<ShaderFile, GPUShaderModule>> {
  const sources = new Map<ShaderFile, string>();
  await Promise.all(SHADER_FILES.map(async (file) => sources.set(file, await loadSource(file))));
  const files = kernelFiles(device);
  const modules = new Map<ShaderFile, GPUShaderModule>();
  await Promise.all(
    files.map(async (file) => {
      const code = expandIncludes(file, sources, subgroupLanes(device));
      modules.set(file, await compileShaderModule(device, `${file}.wgsl`, code, counts));
    }),
  );
  return modules;
}

/** The shader files of the kernels `device` offers what they require. */
export function kernelFiles(device: GPUDevice): ShaderFile[] {
  return [...new Set(offeredKernels(device).map((k) => KERNELS[k].file))];
}

/**
 * The compute pipeline of each kernel, built the first time the kernel is dispatched, so a run
 * compiles only the kernels it uses (on SwiftShader a pipeline costs 0.05 to 4 s of compilation,
 * one after another: building all of them took most of the page's start). The pipeline is created
 * with createComputePipeline, which returns at once: the device compiles it before the first
 * submission that uses it runs, and a failure is reported by the backend's next call
 * (`takeFailure`). Each kernel's pipeline is created once (`counts.pipelines` counts them).
 */
export class PipelineCache {
  private readonly pipelines = new Map<KernelName, GPUComputePipeline>();
  private readonly offered: ReadonlySet<KernelName>;
  private failure: ShaderCompileError | null = null;
  /** The error-scope checks of pipelines not yet settled (see checked). */
  private readonly checks = new Set<Promise<void>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly modules: ReadonlyMap<ShaderFile, GPUShaderModule>,
    private readonly layouts: LayoutCache,
    private readonly counts: GpuObjectCounts,
  ) {
    this.offered = new Set(offeredKernels(device));
  }

  /** Whether the device offers what `kernel` requires (a kernel with an unmet KernelSpec.requires has no pipeline). */
  offers(kernel: KernelName): boolean {
    return this.offered.has(kernel);
  }

  /** The kernels whose pipelines were created so far, in creation order. */
  built(): KernelName[] {
    return [...this.pipelines.keys()];
  }

  /** The pipeline of `kernel`, created on its first call. */
  get(kernel: KernelName): GPUComputePipeline {
    const cached = this.pipelines.get(kernel);
    if (cached !== undefined) return cached;
    if (!this.offered.has(kernel)) throw new Error(`internal: this device lacks what kernel ${kernel} requires`);
    const spec = KERNELS[kernel];
    const module = this.modules.get(spec.file);
    if (module === undefined) throw new Error(`internal: shader ${spec.file} not compiled`);
    const layout = this.layouts.pipelineLayout(spec.access);
    // Push, create and pop synchronously, so no other call's error lands in these scopes.
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({ label: kernel, layout, compute: { module, entryPoint: spec.entry } });
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope()];
    this.counts.pipelines++;
    this.pipelines.set(kernel, pipeline);
    const check: Promise<void> = Promise.all(scopes)
      .then(
        (errors) => this.fail(kernel, errors.filter((e) => e !== null).map((e) => e.message)),
        (error: unknown) => this.fail(kernel, [errorMessage(error)]),
      )
      .finally(() => this.checks.delete(check));
    this.checks.add(check);
    return pipeline;
  }

  /**
   * Resolves once every pipeline's error scopes have settled. The device must not be destroyed
   * before: Dawn (Node) crashed at exit, about one run in three, when a process destroyed its device
   * with a pipeline's error scopes still pending (measured on lavapipe).
   */
  checked(): Promise<void> | null {
    return this.checks.size === 0 ? null : Promise.allSettled([...this.checks]).then(() => undefined);
  }

  /** A pipeline's failure not yet reported (then forgotten), else null. */
  takeFailure(): ShaderCompileError | null {
    const failure = this.failure;
    this.failure = null;
    return failure;
  }

  private fail(kernel: KernelName, messages: string[]): void {
    if (messages.length === 0) return;
    const spec = KERNELS[kernel];
    this.failure ??= new ShaderCompileError(`pipeline ${kernel} (${spec.file}.wgsl, entry ${spec.entry}) failed`, messages);
  }
}
