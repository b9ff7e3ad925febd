/**
 * The README's results table (scripts/solve-table.ts): generated from the check:solve runs recorded
 * in bench/solve/, never edited by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSeeds } from '../scripts/check-solve.js';
import { readSolveRuns, renderSolveTable, replaceSolveTable } from '../scripts/solve-table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the README results table', () => {
  it('is exactly what npm run solve:readme makes of bench/solve/*.json', () => {
    const readme = readFileSync(ROOT + 'README.md', 'utf8');
    const runs = readSolveRuns();
    expect(runs.length).toBeGreaterThan(0);
    expect(replaceSolveTable(readme, renderSolveTable(runs))).toBe(readme);
    // Every recorded run is on seeds the presets were not tuned on (0-19, 1000-1019).
    const tuned = (seed: number) => seed < 20 || (seed >= 1000 && seed < 1020);
    for (const run of runs) for (const r of run.results) expect(tuned(r.seed)).toBe(false);
  });

  it('renders a row per run with its seed range, solve count and median time', () => {
    const result = (seed: number, mean: number) => ({ seed, mean, std: 0, steps: 50_000, weightsFromStep: 50_000, trainSeconds: 3, wallSeconds: 4, solved: mean >= 475 });
    const run = {
      env: 'CartPole-v1',
      backend: 'cpu',
      preset: 'default',
      extra: [],
      threshold: 475,
      evalEpisodes: 100,
      jobs: 2,
      date: '2030-01-02',
      solved: 2,
      of: 3,
      need: 3,
      medianTrainSeconds: 3,
      results: [result(1000, 500), result(1001, 480.25), result(1002, 300)],
    };
    const table = renderSolveTable([run]);
    expect(table).toContain('| CartPole-v1 | `default` | cpu | 1000–1002 | 2 of 3 | ≥ 475 | 50,000 | 3.0 s | 2030-01-02 |');
    expect(table).toContain('- CartPole-v1, `default`, cpu: 1000: 500.0, 1001: 480.3, 1002: 300.0');
  });

  it('check:solve reads seed ranges and lists', () => {
    expect(parseSeeds('1000-1003')).toEqual([1000, 1001, 1002, 1003]);
    expect(parseSeeds('0-2,7')).toEqual([0, 1, 2, 7]);
    expect(() => parseSeeds('5-3')).toThrow(/backwards/);
    expect(() => parseSeeds('a')).toThrow(/not a seed/);
  });
});
