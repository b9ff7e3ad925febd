/**
 * docs/custom-envs.md's examples, run as the page shows them: the shell block (train GridWalk from
 * its module, resume without --env, evaluate without --env, train from code), the "From code"
 * block, and checkEnv on docs/examples/grid-walk.js. Also --help's --env text.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptEnv, checkEnv } from '../src/envs/index.js';
import { childEnv, ensureBuilt, root, runCli } from './support/cli-process.js';

const doc = readFileSync(join(root, 'docs', 'custom-envs.md'), 'utf8');
const example = join(root, 'docs', 'examples', 'grid-walk.js');

/** The fenced blocks of `lang` in the doc, in order. */
function blocks(lang: string): string[] {
  return [...doc.matchAll(new RegExp('```' + lang + '\\n([^]*?)```', 'g'))].map((m) => m[1]);
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'custom-envs-doc-'));
  mkdirSync(join(dir, 'docs', 'examples'), { recursive: true });
  copyFileSync(example, join(dir, 'docs', 'examples', 'grid-walk.js'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/custom-envs.md', () => {
  it('the example env passes checkEnv, with and without frames', async () => {
    const GridWalk = ((await import(pathToFileURL(example).href)) as { default: new (o?: object) => object }).default;
    expect(checkEnv(adaptEnv(new GridWalk()))).toEqual([]);
    expect(checkEnv(adaptEnv(new GridWalk({ renderMode: 'rgb_array' })))).toEqual([]);
  });

  it('the shell block runs as written: trains GridWalk from its module, resumes and evaluates without --env, trains it from code', () => {
    const lines = blocks('sh')[0]
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && line !== 'npm run build');
    expect(lines).toHaveLength(4);
    const outputs: string[] = [];
    for (const line of lines) {
      const args = line.split(/\s+/);
      expect(args[0]).toBe('node');
      if (args[1] === 'bin/train.js') {
        const r = runCli(args.slice(2), dir);
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
        outputs.push(r.stdout);
      } else {
        // The from-code example imports the package by name: it runs in the repository.
        const r = spawnSync(process.execPath, [args[1]], { cwd: root, encoding: 'utf8', env: childEnv(), timeout: 120_000 });
        expect(r.status, `${line}\n${r.stderr}`).toBe(0);
        outputs.push(r.stdout);
      }
    }
    const [trained, resumed, evaluated, fromCode] = outputs;
    expect(trained).toMatch(/^training DQN on GridWalk-v0 \| preset default \|/m);
    expect(trained).toMatch(/^solved: mean [\d.]+ >= 0\.8$/m);
    expect(trained).toMatch(/^video: videos\/GridWalk-v0-seed10000\.gif \(\d+ frames/m);
    expect(existsSync(join(dir, 'videos', 'GridWalk-v0-seed10000.gif'))).toBe(true);
    expect(resumed).toMatch(/^resumed from runs\/GridWalk-v0-default-seed0\/checkpoint\.zip at step 4000/m);
    expect(resumed).toMatch(/^finished: 8000 steps/m);
    expect(evaluated).toMatch(/^evaluating dqn_weights\.npz \(2-64-64-4\) relu on GridWalk-v0/m);
    expect(fromCode).toMatch(/^trained: 4000 steps, \d+ episodes, mean return of the last 100 0\.\d+\ngreedy episode: return 0\.\d+\n$/);
  });

  it('the "From code" block runs as written', () => {
    const [code] = blocks('js');
    const script = code
      .replace("from 'webgpu-rl-engine/node'", `from '${pathToFileURL(join(root, 'dist', 'node.js')).href}'`)
      .replace("from 'webgpu-rl-engine'", `from '${pathToFileURL(join(root, 'dist', 'index.js')).href}'`);
    writeFileSync(join(dir, 'from-code.mjs'), `${script}\nconsole.log(JSON.stringify({ id, source, renderMode: env.renderMode }));\n`);
    copyFileSync(example, join(dir, 'grid-walk.js'));
    const r = spawnSync(process.execPath, ['from-code.mjs'], { cwd: dir, encoding: 'utf8', env: childEnv(), timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ id: 'GridWalk-v0', source: join(dir, 'grid-walk.js'), renderMode: 'rgb_array' });
  });

  it("--help's --env says it takes a module", () => {
    const help = runCli(['--help'], dir).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--env <value> environment id, or a custom env module: a path \(\.\/my-env\.js\), a file: URL or a package specifier, whose default export is the env class or factory \(docs\/custom-envs\.md\)/);
    expect(help).toMatch(/--env-check-timeout <seconds> with --env naming a module: seconds checkEnv may take on it \(in a worker\)/);
  });
});
