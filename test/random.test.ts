import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Pcg64, Rng, SeedSequence } from '../src/random/index.js';
import { InvalidArgumentError } from '../src/errors.js';

interface SeedRow {
  seed: number;
  seedseq_generate_state_4_uint64: string[];
  pcg64_initial_state: string;
  pcg64_inc: string;
  first8_raw_uint64: string[];
  first8_random_double: number[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/gymnasium/seeding_ref.json', import.meta.url), 'utf8')) as {
  seeds: SeedRow[];
};

describe('SeedSequence / PCG64 vs numpy (seeding_ref.json)', () => {
  it('covers seeds 0-9 and 42', () => {
    expect(ref.seeds.map((r) => r.seed)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42]);
  });
  for (const row of ref.seeds) {
    it(`seed ${row.seed}: generate_state, PCG64 state/inc, raw uint64s and doubles match exactly`, () => {
      expect(new SeedSequence(row.seed).generateState64(4).map(String)).toEqual(row.seedseq_generate_state_4_uint64);
      const raw = new Pcg64(row.seed);
      expect(raw.rawState().toString()).toBe(row.pcg64_initial_state);
      expect(raw.rawInc().toString()).toBe(row.pcg64_inc);
      expect(Array.from({ length: 8 }, () => raw.nextUint64().toString())).toEqual(row.first8_raw_uint64);
      const rng = new Rng(row.seed);
      const doubles = Array.from({ length: 8 }, () => rng.random());
      expect(doubles).toEqual(row.first8_random_double);
      const u = new Rng(row.seed);
      expect(u.uniform(-0.05, 0.05)).toBe(-0.05 + 0.1 * row.first8_random_double[0]);
    });
  }
});

describe('Rng', () => {
  it('integers(n) equals numpy default_rng(7).integers(0, n), including rejection and the 2^32 path', () => {
    // np.random.default_rng(7); n cycles through the list below; values printed by numpy 2.4.6.
    const ns = [2, 3, 10, 1000, 2 ** 31 + 1, 3 * 2 ** 30, 2 ** 32 - 1, 2 ** 32, 1, 6];
    const expected = [1, 1, 6, 897, 1241873585, 2498658503, 3580503873, 967257515, 0, 0, 0, 0, 8, 912, 1073283950,
      2645361899, 564533597, 3423387129, 0, 0, 0, 2, 3, 341, 1545052024, 820992407, 4253992337, 1911588177, 0, 2, 1, 1,
      5, 509, 2137820580, 2601667082, 3404457018, 3007655863, 0, 3];
    const rng = new Rng(7);
    expect(expected.map((_, i) => rng.integers(ns[i % ns.length]))).toEqual(expected);
    expect(rng.random()).toBe(0.9889601476818849);
  });

  it('normal() equals numpy RandomState(PCG64(11)).standard_normal() (polar method) to 1 ulp', () => {
    const expected = [-0.002119974420468685, -1.0904039796164617, -0.37314203100818033, 0.08035735211001127,
      0.142177176832819, 0.5229750150976893, 0.20019918301828427];
    const rng = new Rng(11);
    for (const e of expected) expect(Math.abs(rng.normal() - e)).toBeLessThanOrEqual(Math.abs(e) * 4e-16);
  });

  it('spawn matches numpy Generator.spawn', () => {
    const [a, b] = new Rng(3).spawn(2);
    expect(a.random()).toBe(0.5413696492633944);
    expect(b.random()).toBe(0.10033602866159974);
  });

  it('state round-trips through JSON, including the buffered uint32 and the cached normal', () => {
    const rng = new Rng(123);
    rng.integers(5); // leaves a buffered uint32
    rng.normal(); // leaves a cached deviate
    const state = JSON.parse(JSON.stringify(rng.getState())) as ReturnType<Rng['getState']>;
    expect(state.bitGenerator.hasUint32).toBe(1);
    expect(state.hasGauss).toBe(1);
    const draw = (r: Rng) => [r.integers(5), r.normal(), r.normal(), r.random(), r.uniform(2, 3)];
    const expected = draw(rng);
    expect(draw(Rng.fromState(state))).toEqual(expected);
    const other = new Rng(999);
    other.setState(state);
    expect(draw(other)).toEqual(expected);
  });

  it('fill helpers draw in index order', () => {
    const a = new Rng(5);
    const u = new Float64Array(5);
    a.fillUniform(u, -1, 2);
    const b = new Rng(5);
    expect(Array.from(u)).toEqual(Array.from({ length: 5 }, () => b.uniform(-1, 2)));
    const f = new Float32Array(5);
    a.fillNormal(f, 1, 0.5);
    const expected = Array.from({ length: 5 }, () => Math.fround(1 + 0.5 * b.normal()));
    expect(Array.from(f)).toEqual(expected);
  });

  it('rejects bad arguments', () => {
    const rng = new Rng(0);
    expect(() => rng.integers(0)).toThrow(InvalidArgumentError);
    expect(() => rng.integers(2 ** 32 + 1)).toThrow(InvalidArgumentError);
    expect(() => rng.integers(2.5)).toThrow(InvalidArgumentError);
    expect(() => new Rng(-1)).toThrow(InvalidArgumentError);
    expect(() => new Rng(1.5)).toThrow(InvalidArgumentError);
  });

  it('large seeds use several uint32 words (numpy default_rng(2**40 + 5))', () => {
    expect(new Rng(2 ** 40 + 5).random()).toBe(0.004739459374490829);
  });
});
