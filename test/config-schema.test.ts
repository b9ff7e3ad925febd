/**
 * The hyper-parameter schema (src/rl/config-schema.ts) walked field by field, for every registered
 * algorithm: validation refuses each field's out-of-range value naming the field; the CLI has its
 * flag, shows it in --help, and refuses the out-of-range value with exit code 2 naming the flag;
 * every flag that takes a value refuses garbage within a bound and leaves no run folder; checkpoint
 * upgrading and the presets come from the same table. (The page's half of the walk is in
 * test/browser.test.ts: a control per field, and an error naming the field.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHM_NAMES, withAlgorithm, type AlgorithmEntry } from '../src/rl/algorithms.js';
import type { BaseConfig, BaseState } from '../src/rl/trainer.js';
import { kebab, olderCheckpointValues, schemaKeys, validateWithSchema, valueOutOfRange, type FieldKind } from '../src/rl/config-schema.js';
import { DQN_CONFIG, PRESETS, type DqnConfig } from '../src/rl/config.js';
import { bin, childEnv, ensureBuilt, root, runCli } from './support/cli-process.js';

let base: string;
beforeAll(() => {
  ensureBuilt();
  base = mkdtempSync(join(tmpdir(), 'rl-schema-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Runs the CLI once per argument list, two at a time (two cores), each in a fresh folder. */
async function runMany(argLists: string[][]): Promise<{ exit: Exit; folder: string }[]> {
  const results: { exit: Exit; folder: string }[] = new Array(argLists.length);
  let next = 0;
  const worker = async () => {
    while (next < argLists.length) {
      const i = next++;
      const folder = mkdtempSync(join(base, 'case-'));
      const started = performance.now();
      const exit = await new Promise<Exit>((done) => {
        const child = spawn(process.execPath, [bin, ...argLists[i]], { cwd: folder, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          done({ code, stderr, ms: performance.now() - started });
        });
      });
      results[i] = { exit, folder };
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** The CLI's spelling of an out-of-range value of a field, or null (a boolean has none). */
function flagText(kind: FieldKind): string | null {
  const value = valueOutOfRange(kind);
  return value === null ? null : Array.isArray(value) ? value.join(',') : String(value);
}

for (const algoName of ALGORITHM_NAMES) {
  withAlgorithm(algoName, (algo) => describeSchema(algoName, algo));
}

function describeSchema<C extends BaseConfig, S extends BaseState<C>>(algoName: string, algo: AlgorithmEntry<C, S>): void {
  const fields = algo.config.fields;
  const keys = schemaKeys(fields).map(String) as (keyof C & string)[];

  describe(`the ${algoName} schema`, () => {
    it('refuses each field\'s out-of-range value, naming the field, and accepts every preset', () => {
      const base = algo.preset(algo.presetNames[0]);
      for (const key of keys) {
        const bad = valueOutOfRange(fields[key].kind);
        if (bad === null) continue;
        const config = { ...base, [key]: bad } as typeof base;
        expect(() => validateWithSchema(algo.config, config), key).toThrow(new RegExp(`^${key} must `));
        // The wrong kind of value too (a string where a number goes, a number where a name goes).
        const wrongKind = { ...base, [key]: fields[key].kind.type === 'choice' ? 7 : 'seven' } as typeof base;
        expect(() => validateWithSchema(algo.config, wrongKind), key).toThrow(new RegExp(`^${key} must `));
      }
      for (const name of algo.presetNames) expect(() => validateWithSchema(algo.config, algo.preset(name)), name).not.toThrow();
    });

    it('every field has its doc and label, choices without repeats, and an out-of-range value unless it is a boolean', () => {
      for (const key of keys) {
        const field = fields[key];
        expect(field.doc.length, key).toBeGreaterThan(5);
        expect(field.label.length, key).toBeGreaterThan(1);
        if (field.kind.type === 'choice') expect(new Set(field.kind.choices()).size, key).toBe(field.kind.choices().length);
        if (field.kind.type !== 'boolean') expect(valueOutOfRange(field.kind), key).not.toBeNull();
      }
    });

    it('the CLI has a flag for every field, in --help, and refuses each out-of-range value with exit code 2 naming the flag', async () => {
      const help = runCli(['--help'], base).stdout;
      const cases: { key: string; args: string[] }[] = [];
      for (const key of keys) {
        const flag = `--${kebab(String(key))}`;
        expect(help, flag).toMatch(new RegExp(`${flag}( <value>|\\s)`));
        const value = flagText(fields[key].kind);
        if (value !== null) cases.push({ key: String(key), args: ['--algo', algoName, '--backend', 'cpu', flag, value] });
      }
      const results = await runMany(cases.map((c) => c.args));
      results.forEach(({ exit, folder }, i) => {
        const flag = cases[i].args[4];
        expect(exit.code, `${cases[i].args.join(' ')}: ${exit.stderr}`).toBe(2);
        expect(exit.stderr, flag).toMatch(/^error: [^\n]+\n$/);
        expect(exit.stderr, flag).toContain(flag);
        expect(readdirSync(folder), flag).toEqual([]);
      });
    });
  });
}

describe('every flag that takes a value refuses garbage', () => {
  it("'abc', '-1', '1e999' and '' (each where it makes no sense): exit code 2 within seconds, naming the flag, and no run folder", async () => {
    const cases: string[][] = [];
    // Config flags: every value that is not a name, a width list or a number in range.
    for (const key of schemaKeys(DQN_CONFIG.fields)) {
      const kind = DQN_CONFIG.fields[key].kind;
      if (kind.type === 'boolean') continue;
      const garbage = ['abc', '1e999', ''];
      // -1 is garbage for every field but the epsilon ones... which take [0, 1]: -1 is out of range for all of them.
      garbage.push('-1');
      for (const value of garbage) cases.push(['--backend', 'cpu', `--${kebab(String(key))}`, value]);
    }
    // Run flags that take a number or a name. (A path flag takes any non-empty name: 'abc' is a
    // file name. The empty path is refused for each.)
    for (const flag of ['--seed', '--checkpoint-every', '--final-eval-episodes', '--log-every']) {
      for (const value of ['abc', '-1', '1e999', '']) cases.push(['--backend', 'cpu', flag, value]);
    }
    for (const flag of ['--mode', '--backend', '--preset', '--algo']) {
      for (const value of ['abc', '-1', '1e999', '']) cases.push([flag, value]);
    }
    for (const flag of ['--save', '--out', '--video', '--load', '--resume']) cases.push(['--backend', 'cpu', flag, '']);
    // The CLI's own entry point (main, as bin/train.js calls it), all cases in one process: a
    // process each would cost minutes. A sample runs as real processes too, below.
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'support', 'cli-cases.ts'), base], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      env: childEnv(),
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '[]') as { code: number; stderr: string; ms: number; left: string[] }[];
    expect(results.length).toBe(cases.length);
    let slowest = 0;
    results.forEach((exit, i) => {
      const args = cases[i];
      const flag = args[args.length - 2];
      expect(exit.code, `${JSON.stringify(args)}: ${exit.stderr}`).toBe(2);
      expect(exit.stderr, JSON.stringify(args)).toMatch(/^error: [^\n]+\n$/);
      expect(exit.stderr, JSON.stringify(args)).toContain(flag);
      expect(exit.left, JSON.stringify(args)).toEqual([]);
      slowest = Math.max(slowest, exit.ms);
    });
    // Refused before any work: a run that started training would take seconds.
    expect(slowest).toBeLessThan(1000);
    // The same through real processes, for one case of each kind of parser.
    const sample = [cases.find((c) => c.includes('--lr') && c.includes('abc')), cases.find((c) => c.includes('--hidden') && c.includes('-1')), cases.find((c) => c.includes('--env') && c[c.length - 1] === ''), cases.find((c) => c.includes('--seed') && c.includes('1e999'))];
    for (const { exit, folder } of await runMany(sample.map((c) => c ?? []))) {
      expect(exit.code, exit.stderr).toBe(2);
      expect(readdirSync(folder)).toEqual([]);
    }
    console.log(`garbage flags: ${cases.length} cases, slowest ${slowest.toFixed(0)} ms`);
  });
});

describe('checkpoint upgrading and presets come from the schema', () => {
  it('the values older checkpoints imply are the schema\'s', () => {
    expect(olderCheckpointValues(DQN_CONFIG.fields)).toEqual({ quantiles: 1, munchausen: 0, munchausenTau: 0.03, nStep: 1, policyAverageTau: 0, onNonFinite: 'stop' });
  });

  it('every preset is plain data with every field of the schema, and valid', () => {
    for (const [name, config] of Object.entries(PRESETS)) {
      expect(Object.keys(config).sort(), name).toEqual(schemaKeys(DQN_CONFIG.fields).map(String).sort());
      expect(JSON.parse(JSON.stringify(config)) as DqnConfig, name).toEqual(config);
    }
  });
});
