/**
 * Where shader text comes from in Node: the package's shaders/ folder, read from disk. The browser
 * bundle swaps this module for shader-sources-browser.ts, which inlines the same files (see
 * web-build.ts). This module sits at src/backend/webgpu/ (or dist/backend/webgpu/ once built),
 * three levels below the package root either way, so the same relative URL finds shaders/ from both.
 */
import { readFile } from 'node:fs/promises';
import type { ShaderFile } from './kernels.js';

/** The URL of shaders/NAME.wgsl. */
function shaderUrl(file: ShaderFile): URL {
  return new URL(`../../../shaders/${file}.wgsl`, import.meta.url);
}

/** The WGSL text of shaders/NAME.wgsl. */
export function loadShaderSource(file: ShaderFile): Promise<string> {
  return readFile(shaderUrl(file), 'utf8');
}
