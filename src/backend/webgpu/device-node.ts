/**
 * Getting a GPU device in Node: Dawn through the npm `webgpu` package. The only Node-specific GPU
 * code; the browser bundle swaps this module for device-browser.ts (see device.ts).
 *
 * Dawn writes its warnings ("Couldn't load Vulkan ...", "... artificially reduced ...") from native
 * code straight to file descriptor 2, where no JavaScript can catch them. So `probeAdapter` asks
 * Dawn in a child Node process whose stderr is captured: the caller learns whether an adapter
 * exists, and what kind, with nothing printed, and only then loads Dawn here (or not at all).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { create, globals } from 'webgpu';
import { NoAdapterError } from './gpu-errors.js';
import { probeOf, requestDeviceFrom, type AcquiredDevice, type AdapterIdentity, type AdapterProbe, type DeviceRequest } from './device.js';

let globalsInstalled = false;

/**
 * Creates a Dawn instance, picks an adapter and requests a device. Dawn keeps Node alive while
 * its instance is referenced, so `release()` destroys the device and drops the instance.
 */
export async function acquireDevice(request: DeviceRequest = {}): Promise<AcquiredDevice> {
  if (!globalsInstalled) {
    // GPUBufferUsage, GPUMapMode, ... as in a browser.
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let gpu: GPU | null = create([]);
  const adapter = await gpu.requestAdapter(adapterOptions(request));
  if (adapter === null) {
    gpu = null;
    throw new NoAdapterError(noAdapterReason(undefined));
  }
  return requestDeviceFrom(adapter, () => {
    gpu = null;
  });
}

/** How long the probe may take before it counts as failed (a hung driver, an overloaded machine). */
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Looks for a WebGPU adapter in a child Node process (about 0.1 s on lavapipe, most of it Node's
 * start-up) and reports what it found; Dawn's messages stay in the child's captured stderr, and
 * the first of them becomes the reason when there is no adapter.
 */
export function probeAdapter(request: DeviceRequest = {}): Promise<AdapterProbe> {
  const webgpuUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const script = `
    const { create } = await import(${JSON.stringify(webgpuUrl)});
    const adapter = await create([]).requestAdapter(${JSON.stringify(adapterOptions(request))});
    const info = adapter === null ? null : adapter.info;
    const identity = info === null ? null : { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter };
    process.stdout.write(JSON.stringify({ identity }), () => process.exit(0));
  `;
  return new Promise((resolve) => {
    // A failure to start (no such executable, no permission) arrives as the 'error' event.
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PROBE_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (error) => resolve({ found: 'unknown', reason: `the WebGPU probe could not start a Node process (${error.message})` }));
    child.on('close', (code, signal) => resolve(readProbe(stdout, stderr, code, signal)));
  });
}

/** Turns the probe child's output into an AdapterProbe. */
function readProbe(stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): AdapterProbe {
  const dawnSays = firstDawnMessage(stderr);
  let identity: AdapterIdentity | null | undefined;
  try {
    identity = (JSON.parse(stdout) as { identity: AdapterIdentity | null }).identity;
  } catch {
    identity = undefined;
  }
  if (code === 0 && identity !== undefined) {
    if (identity !== null) return probeOf(identity);
    return { found: false, reason: noAdapterReason(dawnSays) };
  }
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
  return { found: 'unknown', reason: `the WebGPU probe (a child Node process) ${how}${dawnSays ? `: ${dawnSays}` : ''}` };
}

/**
 * The first line Dawn printed, without its "Warning: " prefix and C++ source locations, e.g.
 * "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory".
 * The limit notices every adapter triggers ("... artificially reduced ...") say nothing about a failure.
 */
function firstDawnMessage(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('at ') && !/artificially reduced/.test(line))
    .map((line) => line.replace(/^Warning:\s*/, ''))[0];
}

/** Why there is no adapter, in one line: what Dawn said, and on Linux what it needs. */
function noAdapterReason(dawnSays: string | undefined): string {
  const said = dawnSays === undefined ? '' : ` ("${dawnSays}")`;
  const needs = process.platform === 'linux' ? '; Dawn needs a Vulkan driver: libvulkan1 and mesa-vulkan-drivers >= 25, or the GPU vendor\'s' : '';
  return `no WebGPU adapter: Dawn found none${said}${needs}`;
}

function adapterOptions(request: DeviceRequest): GPURequestAdapterOptions {
  return request.powerPreference ? { powerPreference: request.powerPreference } : {};
}
