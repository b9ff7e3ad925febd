/**
 * Writes docs/cartpole-frame.png: a CartPole-v1 frame (seed 42, 6 pushes right then 34 balancing steps, so the
 * cart has moved and the pole leans) rendered by the engine's own software renderer.
 * Run: `npx tsx scripts/render-docs-frame.ts [out.png]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { make } from '../src/envs/index.js';
import { encodePng } from '../src/io/png.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? `${root}/docs/cartpole-frame.png`);
const env = make('CartPole-v1', { renderMode: 'rgb_array' });
let [obs] = env.reset({ seed: 42 });
for (let t = 0; t < 40; t++) [obs] = env.step(t < 6 ? 1 : obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);
const frame = env.render();
if (!frame) throw new Error('render() returned null');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, encodePng(frame.data, frame.width, frame.height));
console.log(`wrote ${out} (${frame.width}x${frame.height}, obs ${Array.from(obs, (v) => v.toFixed(3)).join(', ')})`);
