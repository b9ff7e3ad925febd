/**
 * The device envs' RNG (src/random/philox.ts, shaders/philox.wgsl): Philox4x32-10's published
 * known answers, an independent BigInt implementation, the WGSL stream against the CPU's bit for bit,
 * and fixed-seed uniformity and independence checks (deterministic: they cannot flake).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { belowFromBits, deviceRngBlock, mulhi32, philox4x32, seedKey, uniformFromBits } from '../src/random/philox.js';
import { Rng } from '../src/random/rng.js';
import { refPhilox4x32 } from './support/reference-ops.js';
import { needs } from './support/requirements.js';
import { acquireTestBackend } from './support/webgpu-device.js';

const gpu = await acquireTestBackend();
afterAll(() => gpu?.destroy());

/**
 * Random123's tests/kat_vectors (github.com/DEShawResearch/random123), its three `philox4x32 10`
 * lines: counter (4 words), key (2 words), expected output (4 words), as in the file:
 *   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
 *   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
 *   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
 */
const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

const block = new Uint32Array(4);

describe('Philox4x32-10 on the CPU', () => {
  it("gives Random123's known answers", () => {
    for (const [c, k, want] of KAT) {
      expect(Array.from(philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], block))).toEqual(want);
      expect(refPhilox4x32(c, k)).toEqual(want);
    }
  });

  it('mulhi32 (16-bit halves) equals the BigInt product on random and extreme operands', () => {
    const rng = new Rng(1);
    const pairs: [number, number][] = [
      [0, 0],
      [0xffffffff, 0xffffffff],
      [0xffffffff, 1],
      [0x10000, 0x10000],
      [0xd2511f53, 0xffffffff],
    ];
    for (let i = 0; i < 20000; i++) pairs.push([rng.integers(2 ** 32), rng.integers(2 ** 32)]);
    for (const [a, b] of pairs) expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
  });

  it('equals an independent BigInt Philox on 2000 random counters and keys', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 2000; i++) {
      const c = [0, 1, 2, 3].map(() => rng.integers(2 ** 32));
      const k = [rng.integers(2 ** 32), rng.integers(2 ** 32)];
      expect(Array.from(philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], block))).toEqual(refPhilox4x32(c, k));
    }
  });

  it('maps a u32 to [0, 1) through its top 24 bits and to [0, n) through mulhi', () => {
    expect(uniformFromBits(0)).toBe(0);
    expect(uniformFromBits(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniformFromBits(0x80000000)).toBe(0.5);
    for (const u of [0, 0x12345678, 0xffffffff]) expect(Math.fround(uniformFromBits(u))).toBe(uniformFromBits(u));
    expect(belowFromBits(0xffffffff, 6)).toBe(5);
    expect(belowFromBits(0, 6)).toBe(0);
    expect(belowFromBits(0x80000000, 2)).toBe(1);
    expect(seedKey(2 ** 40 + 7)).toEqual([7, 256]);
  });
});

/** (seed, env, counter) triples: edge values and random ones over the whole ranges. */
function triples(): [number, number, number][] {
  const rng = new Rng(3);
  const out: [number, number, number][] = [
    [0, 0, 0],
    [Number.MAX_SAFE_INTEGER, 0xffffffff, 0xffffffff],
    [2 ** 32, 1, 1],
    [2 ** 32 - 1, 0, 2 ** 24 - 1],
  ];
  for (let i = 0; i < 4092; i++) {
    const seed = i % 2 === 0 ? rng.integers(2 ** 31) : rng.integers(2 ** 21) * 2 ** 32 + rng.integers(2 ** 32);
    out.push([seed, rng.integers(2 ** 20), rng.integers(2 ** 24)]);
  }
  return out;
}

/** The WGSL stream for each triple: the block's 4 words, its 4 uniforms and below(u, n) for n = 1 + (word % 1000). */
async function wgslStream(g: WebGpuBackend, input: [number, number, number][]): Promise<{ bits: Uint32Array; floats: Float32Array; below: Uint32Array }> {
  const device = g.device;
  const code = `${readFileSync(new URL('../shaders/philox.wgsl', import.meta.url), 'utf8')}
@group(0) @binding(0) var<storage, read> triples: array<vec4u>; // seed_lo, seed_hi, env, counter
@group(0) @binding(1) var<storage, read_write> bits: array<vec4u>;
@group(0) @binding(2) var<storage, read_write> floats: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> below: array<vec4u>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= arrayLength(&triples)) { return; }
  let t = triples[i];
  let b = philox4x32_10(vec4u(t.w, t.z, 0u, 0u), vec2u(t.x, t.y));
  bits[i] = b;
  floats[i] = vec4f(philox_uniform(b.x), philox_uniform(b.y), philox_uniform(b.z), philox_uniform(b.w));
  below[i] = vec4u(philox_below(b.x, 1u + b.y % 1000u), philox_below(b.y, 2u), philox_below(b.z, 6u), philox_below(b.w, 0xffffffffu));
}`;
  const n = input.length;
  const data = new Uint32Array(4 * n);
  input.forEach(([seed, env, counter], i) => data.set([...seedKey(seed), env, counter], 4 * i));
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [data.byteLength, 16 * n, 16 * n, 16 * n].map((size) => device.createBuffer({ size, usage }));
  device.queue.writeBuffer(buffers[0], 0, data);
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const staging = [1, 2, 3].map(() => device.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  staging.forEach((s, k) => encoder.copyBufferToBuffer(buffers[k + 1], 0, s, 0, 16 * n));
  device.queue.submit([encoder.finish()]);
  const out = await Promise.all(
    staging.map(async (s) => {
      await s.mapAsync(GPUMapMode.READ);
      const copy = s.getMappedRange().slice(0);
      s.destroy();
      return copy;
    }),
  );
  for (const b of buffers) b.destroy();
  return { bits: new Uint32Array(out[0]), floats: new Float32Array(out[1]), below: new Uint32Array(out[2]) };
}

describe('Philox4x32-10 in WGSL (shaders/philox.wgsl)', needs('webgpu', gpu !== null), () => {
  it('gives the CPU stream bit for bit on 4096 (seed, env, counter) triples: words, uniforms and integers below n', async () => {
    const input = triples();
    const got = await wgslStream(gpu as WebGpuBackend, input);
    const floats = new Float32Array(4);
    let mismatches = 0;
    input.forEach(([seed, env, counter], i) => {
      deviceRngBlock(seed, env, counter, 0, block);
      for (let k = 0; k < 4; k++) floats[k] = uniformFromBits(block[k]);
      const below = [belowFromBits(block[0], 1 + (block[1] % 1000)), belowFromBits(block[1], 2), belowFromBits(block[2], 6), belowFromBits(block[3], 0xffffffff)];
      for (let k = 0; k < 4; k++) {
        if (got.bits[4 * i + k] !== block[k] || got.floats[4 * i + k] !== floats[k] || got.below[4 * i + k] !== below[k]) mismatches++;
      }
    });
    expect(mismatches).toBe(0);
  });

  it("gives Random123's known answers", async () => {
    // A triple's counter is (counter, env, 0, 0): the zero vector is the first known answer.
    const got = await wgslStream(gpu as WebGpuBackend, [[0, 0, 0]]);
    expect(Array.from(got.bits)).toEqual(KAT[0][2]);
  });
});

describe('the device stream, fixed seeds (deterministic)', () => {
  /** Uniforms of envs 0..E-1, counters 0..C-1, the 4 words of each block: u[env][4 counter + k]. */
  function streams(seed: number, envs: number, counters: number): Float64Array[] {
    return Array.from({ length: envs }, (_, env) => {
      const u = new Float64Array(4 * counters);
      for (let c = 0; c < counters; c++) {
        deviceRngBlock(seed, env, c, 0, block);
        for (let k = 0; k < 4; k++) u[4 * c + k] = uniformFromBits(block[k]);
      }
      return u;
    });
  }

  function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
    const n = a.length;
    let ma = 0, mb = 0;
    for (let i = 0; i < n; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= n;
    mb /= n;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < n; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    }
    return sab / Math.sqrt(saa * sbb);
  }

  const ENVS = 64;
  const COUNTERS = 1024;
  const u = streams(20261207, ENVS, COUNTERS);

  it('is uniform: chi-square over 64 bins of 262144 draws below the 0.999 quantile (103.4 at 63 degrees of freedom)', () => {
    const bins = new Float64Array(64);
    let total = 0;
    for (const s of u) for (const v of s) {
      bins[Math.floor(v * 64)]++;
      total++;
    }
    const expected = total / 64;
    let chi2 = 0;
    for (const o of bins) chi2 += (o - expected) ** 2 / expected;
    console.log(`device RNG chi-square (64 bins, ${total} draws): ${chi2.toFixed(1)}`);
    expect(chi2).toBeLessThan(103.4);
    // And the integers below 6 (a die): 5 degrees of freedom, 0.999 quantile 20.5.
    const die = new Float64Array(6);
    for (let c = 0; c < 60000; c++) {
      deviceRngBlock(1, c % 7, Math.floor(c / 7), 0, block);
      die[belowFromBits(block[0], 6)]++;
    }
    let chi2Die = 0;
    for (const o of die) chi2Die += (o - 10000) ** 2 / 10000;
    expect(chi2Die).toBeLessThan(20.5);
  });

  it("is independent across neighbouring envs, counters, words and seeds: every correlation within 4 standard errors", () => {
    const n = 4 * COUNTERS;
    const bound = 4 / Math.sqrt(n); // 0.0625 for 4096 pairs
    let worst = 0;
    for (let e = 0; e + 1 < ENVS; e++) worst = Math.max(worst, Math.abs(pearson(u[e], u[e + 1])));
    // Neighbouring counters (lag 4: the same word of the next block) and neighbouring words of a block.
    for (let e = 0; e < ENVS; e += 8) {
      worst = Math.max(worst, Math.abs(pearson(u[e].subarray(0, n - 4), u[e].subarray(4))));
      worst = Math.max(worst, Math.abs(pearson(u[e].subarray(0, n - 1), u[e].subarray(1))));
    }
    // Neighbouring seeds, same env.
    const other = streams(20261208, 8, COUNTERS);
    for (let e = 0; e < 8; e++) worst = Math.max(worst, Math.abs(pearson(u[e], other[e])));
    console.log(`device RNG: largest |correlation| ${worst.toFixed(4)} (bound ${bound.toFixed(4)})`);
    expect(worst).toBeLessThan(bound);
    // Pooled over all 63 neighbouring env pairs (258048 pairs): a tighter bound.
    const a = new Float64Array((ENVS - 1) * n);
    const b = new Float64Array((ENVS - 1) * n);
    for (let e = 0; e + 1 < ENVS; e++) {
      a.set(u[e], e * n);
      b.set(u[e + 1], e * n);
    }
    expect(Math.abs(pearson(a, b))).toBeLessThan(4 / Math.sqrt(a.length));
  });
});
