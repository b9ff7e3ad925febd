/**
 * The browser-safe rules of custom env modules that the CLI's loader and the page's training worker
 * share: a module's exports (env-module-exports.ts), and which URLs the page takes a module from
 * (env-module-source.ts: its own origin only).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEnvModuleExports } from '../src/envs/env-module-exports.js';
import { importEnvModule } from '../src/envs/node/env-module.js';
import { defaultIdOfUrl, sameOriginModuleUrl } from '../src/web/env-module-source.js';

const CATCH = fileURLToPath(new URL('../examples/catch/catch-env.js', import.meta.url));
class SomeEnv {}

describe('checkEnvModuleExports (one rule for the CLI and the page)', () => {
  it('takes a class or factory default with optional id, maxEpisodeSteps and rewardThreshold', () => {
    expect(checkEnvModuleExports({ default: SomeEnv }, 'm.js', 'm')).toEqual({ entryPoint: SomeEnv, id: 'm', maxEpisodeSteps: null, rewardThreshold: null });
    const factory = () => ({});
    expect(checkEnvModuleExports({ default: factory, id: 'Grid-v0', maxEpisodeSteps: 50, rewardThreshold: 0.9 }, 'm.js', 'm')).toEqual({ entryPoint: factory, id: 'Grid-v0', maxEpisodeSteps: 50, rewardThreshold: 0.9 });
  });

  it('refuses each wrong export, naming the module and the export', () => {
    expect(() => checkEnvModuleExports({}, 'pasted module', 'x')).toThrow("env module 'pasted module': has no default export; export default the env class, or a factory function (options) => env");
    expect(() => checkEnvModuleExports({ default: 3 }, 'm.js', 'x')).toThrow("env module 'm.js': its default export is 3, expected the env class or a factory function (options) => env");
    expect(() => checkEnvModuleExports({ default: SomeEnv, id: '' }, 'm.js', 'x')).toThrow("its export 'id' is '', expected a non-empty string");
    expect(() => checkEnvModuleExports({ default: SomeEnv, maxEpisodeSteps: 1.5 }, 'm.js', 'x')).toThrow("its export 'maxEpisodeSteps' is 1.5, expected a positive integer");
    expect(() => checkEnvModuleExports({ default: SomeEnv, rewardThreshold: Number.NaN }, 'm.js', 'x')).toThrow("its export 'rewardThreshold' is NaN, expected a finite number");
  });

  it('is what the Node loader applies (importEnvModule on the Catch example)', async () => {
    const module = await importEnvModule(pathToFileURL(CATCH).href, './examples/catch/catch-env.js');
    expect(module).toMatchObject({ id: 'Catch-v0', maxEpisodeSteps: 91, rewardThreshold: 9 });
  });
});

describe('sameOriginModuleUrl (the page takes modules from its own origin only)', () => {
  const page = 'http://127.0.0.1:8080/app/index.html';

  it('resolves relative and absolute URLs on the page origin', () => {
    expect(sameOriginModuleUrl('./envs/catch.js', page)).toBe('http://127.0.0.1:8080/app/envs/catch.js');
    expect(sameOriginModuleUrl('/catch.js', page)).toBe('http://127.0.0.1:8080/catch.js');
    expect(sameOriginModuleUrl(' http://127.0.0.1:8080/x/y.mjs ', page)).toBe('http://127.0.0.1:8080/x/y.mjs');
  });

  it('refuses another origin, another scheme and an empty field, saying why', () => {
    for (const url of ['http://example.com/env.js', 'https://127.0.0.1:8080/env.js', 'http://127.0.0.1:8081/env.js', '//example.com/env.js', 'data:text/javascript,export default 1', 'blob:http://127.0.0.1:8080/abc', 'javascript:alert(1)']) {
      expect(() => sameOriginModuleUrl(url, page), url).toThrow(/is refused: it is not on this page's origin \(http:\/\/127\.0\.0\.1:8080\), and the module's code would run in the training worker/);
    }
    expect(() => sameOriginModuleUrl('  ', page)).toThrow('env module URL: the field is empty');
  });

  it('gives a module without an id export its file name', () => {
    expect(defaultIdOfUrl('http://h/envs/grid-world.js')).toBe('grid-world');
    expect(defaultIdOfUrl('http://h/envs/my%20env.mjs?v=2')).toBe('my env');
  });
});
