/**
 * Compiles shaders/*.wgsl and builds one compute pipeline per kernel, once, when the backend is
 * created. Compiler errors become a ShaderCompileError carrying the WGSL messages with line,
 * column and the offending source line.
 */
import { ShaderCompileError } from './gpu-errors.js';
import type { GpuObjectCounts } from './gpu-counters.js';
import { KERNELS, KERNEL_NAMES, SHADER_FILES, type KernelName, type ShaderFile } from './kernels.js';

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

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
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

/** Bind group layouts by access string ('rrw'...): binding 0 a dynamic-offset uniform, then storage. */
export class LayoutCache {
  private readonly groups = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, GPUPipelineLayout>();
  constructor(
    private readonly device: GPUDevice,
    private readonly counts: GpuObjectCounts,
  ) {}

  bindGroupLayout(access: string): GPUBindGroupLayout {
    let layout = this.groups.get(access);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ];
      for (let i = 0; i < access.length; i++) {
        const type: GPUBufferBindingType = access[i] === 'w' ? 'storage' : 'read-only-storage';
        entries.push({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
      }
      layout = this.device.createBindGroupLayout({ label: `uniform+${access}`, entries });
      this.counts.bindGroupLayouts++;
      this.groups.set(access, layout);
    }
    return layout;
  }

  pipelineLayout(access: string): GPUPipelineLayout {
    let layout = this.pipelines.get(access);
    if (layout === undefined) {
      layout = this.device.createPipelineLayout({ label: `uniform+${access}`, bindGroupLayouts: [this.bindGroupLayout(access)] });
      this.counts.pipelineLayouts++;
      this.pipelines.set(access, layout);
    }
    return layout;
  }
}

/**
 * The text of shaders/<file>.wgsl with every line `//#include <name>` replaced by the text of
 * shaders/<name>.wgsl (one level: snippets include nothing). Compiler messages keep their line
 * numbers only above the first include, so kernel files include snippets after their bindings.
 */
export function expandIncludes(file: ShaderFile, sources: ReadonlyMap<ShaderFile, string>): string {
  const code = sources.get(file);
  if (code === undefined) throw new Error(`internal: shader ${file} not loaded`);
  return code.replace(/^\/\/#include (\S+)\s*$/gm, (_, name: string) => {
    const snippet = sources.get(name as ShaderFile);
    if (snippet === undefined) throw new Error(`${file}.wgsl includes '${name}', which is not in SHADER_SNIPPETS`);
    return snippet;
  });
}

/** Compiles every shader file and builds every kernel's pipeline (in parallel). */
export async function buildPipelines(
  device: GPUDevice,
  loadSource: (file: ShaderFile) => Promise<string>,
  layouts: LayoutCache,
  counts: GpuObjectCounts,
): Promise<Record<KernelName, GPUComputePipeline>> {
  const sources = new Map<ShaderFile, string>();
  await Promise.all(SHADER_FILES.map(async (file) => sources.set(file, await loadSource(file))));
  const kernelFiles = [...new Set(KERNEL_NAMES.map((k) => KERNELS[k].file))];
  const modules = new Map<ShaderFile, GPUShaderModule>();
  await Promise.all(
    kernelFiles.map(async (file) => {
      const code = expandIncludes(file, sources);
      modules.set(file, await compileShaderModule(device, `${file}.wgsl`, code, counts));
    }),
  );
  const entries = await Promise.all(
    KERNEL_NAMES.map(async (name): Promise<[KernelName, GPUComputePipeline]> => {
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
        throw new ShaderCompileError(`pipeline ${name} (${spec.file}.wgsl, entry ${spec.entry}) failed`, [errorText(error)]);
      }
      const scopeError = await scope;
      if (scopeError !== null) {
        throw new ShaderCompileError(`pipeline ${name} (${spec.file}.wgsl, entry ${spec.entry}) failed`, [scopeError.message]);
      }
      return [name, pipeline];
    }),
  );
  return Object.fromEntries(entries) as Record<KernelName, GPUComputePipeline>;
}
