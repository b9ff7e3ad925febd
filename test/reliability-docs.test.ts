/**
 * docs/reliability.md lists every bad input and fault tried, one row per test: the ids in its
 * tables are exactly the ids the reliability tests carry ('[id]' titles, `id: '...'` cases).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './support/cli-process.js';

function docIds(): string[] {
  const text = readFileSync(join(root, 'docs', 'reliability.md'), 'utf8');
  return [...text.matchAll(/^\| ([a-z0-9]+(?:-[a-z0-9]+)+) \|/gm)].map((m) => m[1]);
}

function testIds(): string[] {
  const ids: string[] = [];
  for (const file of readdirSync(join(root, 'test')).filter((name) => /^reliability-.*\.test\.ts$/.test(name) && name !== 'reliability-docs.test.ts')) {
    const source = readFileSync(join(root, 'test', file), 'utf8');
    for (const m of source.matchAll(/[`'"]\[([a-z0-9]+(?:-[a-z0-9]+)+)\]/g)) ids.push(m[1]);
    for (const m of source.matchAll(/\bid: '([a-z0-9-]+)'/g)) ids.push(m[1]);
    for (const m of source.matchAll(/^\s+\['([a-z0-9]+(?:-[a-z0-9]+)+)',/gm)) ids.push(m[1]);
  }
  return ids;
}

describe('docs/reliability.md', () => {
  it('has one row per reliability test, and a test for every row', () => {
    const documented = docIds();
    const tested = testIds();
    expect(new Set(documented).size, 'ids listed twice').toBe(documented.length);
    expect([...new Set(tested)].sort()).toEqual([...documented].sort());
  });
});
