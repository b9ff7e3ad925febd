import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../src/io/png.js';
import { movingMean, renderLearningCurve, SERIES_COLOURS, seriesFromMetrics, THRESHOLD_COLOUR } from '../src/metrics/plot.js';
import { formatTick, niceTicks } from '../src/metrics/ticks.js';
import { parseHexColour } from '../src/metrics/raster.js';
import { Rng } from '../src/random/rng.js';

const hasPython = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { stdio: 'ignore' }).status === 0;

/** A run whose returns climb from about 20 to about 300 over `episodes` episodes. */
function fakeRun(episodes: number, seed: number): { steps: number[]; returns: number[] } {
  const rng = new Rng(seed);
  const steps: number[] = [];
  const returns: number[] = [];
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    const r = Math.round(20 + (280 * e) / episodes + rng.uniform(-15, 15));
    total += r;
    steps.push(total);
    returns.push(r);
  }
  return { steps, returns };
}

function pixel(rgba: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (Math.floor(y) * width + Math.floor(x)) * 4;
  return Array.from(rgba.subarray(i, i + 3));
}

function rgbList(hex: string): number[] {
  const c = parseHexColour(hex);
  return [c.r, c.g, c.b];
}

describe('ticks', () => {
  it('picks round steps that cover the range and labels them compactly', () => {
    expect(niceTicks(0, 50000, 6).ticks).toEqual([0, 10000, 20000, 30000, 40000, 50000]);
    expect(niceTicks(0, 475, 6).ticks).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(-0.3, 0.7, 5).ticks).toEqual([-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
    expect([formatTick(50000), formatTick(1500000), formatTick(0.25), formatTick(-100), formatTick(2500)]).toEqual([
      '50k', '1.5M', '0.25', '-100', '2500',
    ]);
  });

  it('computes the moving mean over the last window episodes', () => {
    expect(Array.from(movingMean([2, 4, 6, 8], 2))).toEqual([2, 3, 5, 7]);
    expect(Array.from(movingMean([1, 2, 3], 100))).toEqual([1, 1.5, 2]);
  });
});

describe('learning-curve plot', () => {
  const a = fakeRun(400, 1);
  const b = fakeRun(250, 2);
  const image = renderLearningCurve({
    title: 'DQN on CartPole-v1',
    threshold: 475,
    series: [
      { label: 'default', ...a },
      { label: 'seed', ...b },
    ],
  });

  it('draws the dashed threshold line in its colour at the threshold height', () => {
    const red = rgbList(THRESHOLD_COLOUR);
    const y = Math.round(image.toPixel(0, 475).y);
    const x0 = image.toPixel(0, 475).x;
    // Dashes of 8 px start every 13 px from the left edge of the plot; probe mid-plot (the
    // data stay below 350 there).
    const x = x0 + 13 * 30;
    expect(pixel(image.rgba, image.width, x + 4, y)).toEqual(red);
    expect(pixel(image.rgba, image.width, x + 10, y)).not.toEqual(red);
    expect(pixel(image.rgba, image.width, x + 17, y)).toEqual(red);
    // Nothing red a few pixels above or below the line there.
    expect(pixel(image.rgba, image.width, x + 4, y - 6)).not.toEqual(red);
    expect(pixel(image.rgba, image.width, x + 4, y + 6)).not.toEqual(red);
  });

  it('writes the threshold label at the left end above the line, where rising curves leave room, over anything drawn there', () => {
    const red = rgbList(THRESHOLD_COLOUR);
    const line = image.toPixel(0, 475);
    const redIn = (x0: number, x1: number, y0: number, y1: number) => {
      let count = 0;
      for (let y = Math.ceil(y0); y < y1; y++) for (let x = Math.ceil(x0); x < x1; x++) if (pixel(image.rgba, image.width, x, y).every((v, i) => v === red[i])) count++;
      return count;
    };
    // The glyphs: red pixels in the band just above the line, at the left end and not at the right end.
    expect(redIn(line.x + 6, line.x + 120, line.y - 24, line.y - 4)).toBeGreaterThan(20);
    const right = image.toPixel(Math.max(...a.steps), 475).x;
    expect(redIn(right - 120, right, line.y - 24, line.y - 4)).toBe(0);
    expect(image.svg).toMatch(new RegExp(`<text x="${line.x + 10}"[^>]*>solved: 475</text>`));
  });

  it('draws each moving mean bold in its series colour where the data says', () => {
    for (const [index, run] of [a, b].entries()) {
      const mean = movingMean(run.returns, 100);
      for (const episode of [150, 240]) {
        const p = image.toPixel(run.steps[episode], mean[episode]);
        expect(pixel(image.rgba, image.width, p.x, p.y)).toEqual(rgbList(SERIES_COLOURS[index]));
      }
    }
  });

  it('keeps the frame white outside the plot and writes the title in dark ink', () => {
    expect(pixel(image.rgba, image.width, 2, 2)).toEqual([255, 255, 255]);
    expect(pixel(image.rgba, image.width, image.width - 3, image.height - 3)).toEqual([255, 255, 255]);
    let dark = 0;
    for (let y = 10; y < 40; y++) for (let x = 0; x < image.width; x++) if (pixel(image.rgba, image.width, x, y)[0] < 80) dark++;
    expect(dark).toBeGreaterThan(300);
  });

  it('encodes the same pixels as a PNG', () => {
    const back = decodePng(image.png);
    expect([back.width, back.height]).toEqual([960, 540]);
    expect(Buffer.compare(Buffer.from(back.rgba), Buffer.from(image.rgba))).toBe(0);
  });

  it('writes an SVG with one faint and one bold polyline per series, the dashed threshold and a legend', () => {
    const { svg } = image;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg.match(/stroke-opacity="0.3"/g)).toHaveLength(2);
    expect(svg).toContain(`stroke="${THRESHOLD_COLOUR}" stroke-width="2" stroke-dasharray="8 5"`);
    expect(svg).toContain('>DQN on CartPole-v1</text>');
    expect(svg).toContain('>default</text>');
    expect(svg).toContain('>seed</text>');
    expect(svg).toContain('>solved: 475</text>');
  });

  it.skipIf(!hasPython)('produces well-formed SVG XML', () => {
    const result = spawnSync('python3', ['-c', 'import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.read()); print(r.tag)'], {
      input: image.svg,
      encoding: 'utf8',
    });
    expect(result.stdout.trim()).toBe('{http://www.w3.org/2000/svg}svg');
  });

  it('builds series from metrics rows and rejects mismatched data', () => {
    const series = seriesFromMetrics('x', [
      { episode: 1, steps: 10, return: 10, length: 10, epsilon: 1, loss: null, wallTimeS: 0 },
      { episode: 2, steps: 30, return: 20, length: 20, epsilon: 1, loss: 0.5, wallTimeS: 1 },
    ]);
    expect(Array.from(series.steps)).toEqual([10, 30]);
    const small = renderLearningCurve({ series: [series], width: 320, height: 200 });
    expect(small.png.length).toBeGreaterThan(100);
    expect(() => renderLearningCurve({ series: [{ label: 'bad', steps: [1, 2], returns: [1] }] })).toThrow(/has 2 steps but 1 returns/);
    expect(() => renderLearningCurve({ series: [] })).toThrow(/no series/);
  });
});
