/**
 * The kernel table (src/backend/webgpu/kernels.ts) against the WGSL files it names: every file on
 * disk is in the table, every entry point exists, and every kernel's declared parameter layout is
 * exactly its file's `struct Params` (names, types, order), so writing a parameter by name puts
 * it where the shader reads it. No device needed: the shaders are parsed as text.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_CODES, LOSS_CODES } from '../src/backend/kernel-codes.js';
import { KERNELS, KERNEL_NAMES, SHADER_FILES } from '../src/backend/webgpu/kernels.js';

const shaderDir = new URL('../shaders/', import.meta.url);
const source = (file: string): string => readFileSync(new URL(`${file}.wgsl`, shaderDir), 'utf8');

/** The fields of `struct <name> { a: u32, b: f32, }` in a WGSL text, as [name, type], comments dropped. */
function parseStruct(wgsl: string, name: string): [string, string][] {
  const code = wgsl.replace(/\/\/[^\n]*/g, '');
  const match = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(code);
  if (match === null) throw new Error(`no struct ${name}`);
  return match[1]
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '')
    .map((field) => {
      const parts = /^(\w+)\s*:\s*(\w+)$/.exec(field);
      if (parts === null) throw new Error(`cannot parse field '${field}' of struct ${name}`);
      return [parts[1], parts[2]];
    });
}

describe('the kernel table and shaders/', () => {
  it('lists exactly the WGSL files on disk', () => {
    const onDisk = readdirSync(shaderDir)
      .filter((f) => f.endsWith('.wgsl'))
      .map((f) => f.replace(/\.wgsl$/, ''));
    expect([...onDisk].sort()).toEqual([...SHADER_FILES].sort());
  });

  for (const name of KERNEL_NAMES) {
    const spec = KERNELS[name];
    it(`${name}: entry ${spec.entry} exists in ${spec.file}.wgsl with its declared parameter layout`, () => {
      const wgsl = source(spec.file);
      expect(wgsl).toMatch(new RegExp(`@compute[^\\n]*\\n\\s*fn ${spec.entry}\\(`));
      expect(parseStruct(wgsl, 'Params')).toEqual(spec.params.fields.map(([field, type]) => [field, type]));
    });
  }

  it('subgroup-lanes4.wgsl and subgroup-lanes8.wgsl declare the same lane primitives, which linear-subgroup.wgsl uses', () => {
    const declared = (wgsl: string): string[] =>
      [...wgsl.replace(/\/\/[^\n]*/g, '').matchAll(/^(?:fn|alias|struct|const)\s+(\w+)/gm)].map((m) => m[1]).sort();
    const four = declared(source('subgroup-lanes4'));
    expect(four).toEqual(declared(source('subgroup-lanes8')));
    expect(four).toEqual(['Band', 'BandAt', 'BandSum', 'LANES', 'band_column', 'band_quads', 'band_rows', 'band_step', 'band_steps', 'band_sum', 'band_vec4', 'rows_by_lane', 'rows_by_step', 'store_band_sums']);
    const kernel = source('linear-subgroup');
    expect(kernel).toMatch(/^\/\/#include subgroup-lanes$/m);
    // Band and BandAt are the types of those functions' values, which the kernels never need to name.
    for (const name of four.filter((n) => n !== 'Band' && n !== 'BandAt')) expect(kernel, name).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('the activation and loss codes (kernel-codes.ts) are the numbers the shaders spell out', () => {
    /** `{ name: n }` of the "n name" pairs on the line of `file` that starts with `prefix`. */
    const codesIn = (file: string, prefix: string): Record<string, number> => {
      const line = source(file)
        .split('\n')
        .find((l) => l.startsWith(prefix));
      return Object.fromEntries([...(line ?? '').matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
    };
    expect(codesIn('bias-activation', '// Activation codes:')).toEqual(ACTIVATION_CODES);
    expect(codesIn('loss', '// kind ')).toEqual(LOSS_CODES);
    // The switch of activations.wgsl: relu, leaky_relu, tanh and sigmoid by these numbers.
    expect(ACTIVATION_CODES).toEqual({ identity: 0, relu: 1, leaky_relu: 2, tanh: 3, sigmoid: 4, softmax: 5 });
  });

  it('the parser reads a struct as written, and a layout that differs does not match it', () => {
    const wgsl = 'struct Params {\n  rows: u32, // a comment, with a comma\n  alpha: f32,\n}\n';
    expect(parseStruct(wgsl, 'Params')).toEqual([
      ['rows', 'u32'],
      ['alpha', 'f32'],
    ]);
    expect(parseStruct(wgsl, 'Params')).not.toEqual(KERNELS.biasActivation.params.fields.map(([f, t]) => [f, t]));
  });
});
