/**
 * Learning-curve plots: episode returns (faint) and their moving mean (bold) against environment
 * steps, one colour per series, with the solve threshold as a dashed line. Renders the same
 * layout to an SVG string and to a PNG (rasterised here with a built-in bitmap font), so it runs
 * in Node and in the browser alike.
 */
import { InvalidArgumentError } from '../errors.js';
import { encodePng } from '../io/png.js';
import type { EpisodeMetrics } from './csv-log.js';
import { parseHexColour, RasterCanvas, type ClipRect } from './raster.js';
import { formatTick, niceTicks } from './ticks.js';

/** One run: the environment step count at the end of each episode and that episode's return. */
export interface CurveSeries {
  label: string;
  /** Cumulative environment steps at the end of each episode (non-decreasing). */
  steps: ArrayLike<number>;
  /** Return of each episode. */
  returns: ArrayLike<number>;
  /** '#rrggbb'; defaults to the palette in order. */
  colour?: string;
  /** This series' moving-mean window (default: the plot's); 1 draws the values themselves, e.g. periodic evaluations. */
  window?: number;
}

/** Options for {@link renderLearningCurve}. */
export interface LearningCurveOptions {
  series: readonly CurveSeries[];
  title?: string;
  /** A subtitle under the title; defaults to explaining faint vs bold lines. */
  subtitle?: string;
  /** The return that counts as solved, drawn dashed (CartPole-v1: 475). Omit for none. */
  threshold?: number;
  thresholdLabel?: string;
  /** Episodes in the moving mean (default 100). */
  window?: number;
  xLabel?: string;
  yLabel?: string;
  /** Image size in pixels (default 960 x 540). */
  width?: number;
  height?: number;
}

/** The plot in both forms. */
export interface LearningCurveImage {
  svg: string;
  png: Uint8Array;
  /** Raw RGBA pixels of the PNG (width * height * 4). */
  rgba: Uint8Array;
  width: number;
  height: number;
  /** Maps data coordinates to pixel centres of the PNG/SVG (for tests and overlays). */
  toPixel: (step: number, ret: number) => { x: number; y: number };
}

/** Series colours (Tableau 10), used in order when a series gives none. */
export const SERIES_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
/** The dashed threshold line's colour. */
export const THRESHOLD_COLOUR = '#d62728';

const INK = '#222222';
const AXIS = '#444444';
const GRID = '#e6e6e6';
const MUTED = '#666666';

/** Builds a series from metrics.csv rows. */
export function seriesFromMetrics(label: string, rows: readonly EpisodeMetrics[], colour?: string): CurveSeries {
  return { label, steps: rows.map((r) => r.steps), returns: rows.map((r) => r.return), colour };
}

/** Mean of the last `window` values at each position (fewer at the start). */
export function movingMean(values: ArrayLike<number>, window: number): Float64Array {
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/** Draws the learning curve; see {@link LearningCurveOptions}. */
export function renderLearningCurve(options: LearningCurveOptions): LearningCurveImage {
  const width = options.width ?? 960;
  const height = options.height ?? 540;
  const window = options.window ?? 100;
  if (options.series.length === 0) throw new InvalidArgumentError('renderLearningCurve: no series');
  for (const s of options.series) {
    if (s.steps.length !== s.returns.length) {
      throw new InvalidArgumentError(`renderLearningCurve: series '${s.label}' has ${s.steps.length} steps but ${s.returns.length} returns`);
    }
  }
  const title = options.title ?? 'Learning curve';
  const subtitle = options.subtitle ?? `faint: return of each episode \u00b7 bold: mean of the last ${window} episodes`;
  const xLabel = options.xLabel ?? 'environment steps';
  const yLabel = options.yLabel ?? 'episode return';
  const series = options.series.map((s, i) => ({
    label: s.label,
    steps: Array.from(s.steps),
    returns: Array.from(s.returns),
    mean: Array.from(movingMean(s.returns, s.window ?? window)),
    colour: s.colour ?? SERIES_COLOURS[i % SERIES_COLOURS.length],
  }));

  // Data ranges.
  let xMax = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (const v of s.steps) if (Number.isFinite(v) && v > xMax) xMax = v;
    for (const v of s.returns) {
      if (!Number.isFinite(v)) continue;
      if (v < yMin) yMin = v;
      if (v > yMax) yMax = v;
    }
  }
  if (options.threshold !== undefined) {
    yMin = Math.min(yMin, options.threshold);
    yMax = Math.max(yMax, options.threshold);
  }
  if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
  yMin = Math.min(0, yMin);
  // Axis limits hug the data with a small margin (as matplotlib does); ticks fall inside them.
  if (yMax <= yMin) yMax = yMin + 1;
  const span = yMax - yMin;
  const xr = { min: 0, max: (xMax > 0 ? xMax : 1) * 1.02 };
  const yr = { min: yMin - span * 0.03, max: yMax + span * 0.06 };
  const inside = (r: { min: number; max: number }, t: number[]) => t.filter((v) => v >= r.min - 1e-9 && v <= r.max + 1e-9);
  const xt = { ...xr, ticks: inside(xr, niceTicks(xr.min, xr.max, 7).ticks) };
  const yt = { ...yr, ticks: inside(yr, niceTicks(yr.min, yr.max, 6).ticks) };

  // Layout (pixels); the font is 7 px high per scale unit.
  const font = Math.max(1, Math.round(height / 300));
  const left = 14 + font * 6 * 6 + 16;
  const right = width - 24;
  const top = 34 + font * 7 * 3 + font * 7;
  const bottom = height - (24 + font * 7 * 2 + 14);
  const plot: ClipRect = { x0: left, y0: top, x1: right, y1: bottom };
  const sx = (v: number) => left + ((v - xt.min) / (xt.max - xt.min)) * (right - left);
  const sy = (v: number) => bottom - ((v - yt.min) / (yt.max - yt.min)) * (bottom - top);

  const canvas = new RasterCanvas(width, height);
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  const ink = parseHexColour(INK);
  const axis = parseHexColour(AXIS);
  const grid = parseHexColour(GRID);
  const muted = parseHexColour(MUTED);
  const fontPx = font * 9;

  // Grid and ticks.
  for (const v of yt.ticks) {
    const y = Math.round(sy(v));
    canvas.fillRect(left, y, right - left, 1, grid);
    canvas.fillRect(left - 5, y, 5, 1, axis);
    canvas.text(formatTick(v), left - 9, y + 0.5, ink, { scale: font, align: 'right', valign: 'middle' });
    svg.push(`<line x1="${left}" y1="${y + 0.5}" x2="${right}" y2="${y + 0.5}" stroke="${GRID}"/>`);
    svg.push(`<line x1="${left - 5}" y1="${y + 0.5}" x2="${left}" y2="${y + 0.5}" stroke="${AXIS}"/>`);
    svg.push(`<text x="${left - 9}" y="${y + 0.5}" font-size="${fontPx}" fill="${INK}" text-anchor="end" dominant-baseline="middle">${esc(formatTick(v))}</text>`);
  }
  for (const v of xt.ticks) {
    const x = Math.round(sx(v));
    canvas.fillRect(x, top, 1, bottom - top, grid);
    canvas.fillRect(x, bottom, 1, 5, axis);
    canvas.text(formatTick(v), x + 0.5, bottom + 10, ink, { scale: font, align: 'center', valign: 'top' });
    svg.push(`<line x1="${x + 0.5}" y1="${top}" x2="${x + 0.5}" y2="${bottom}" stroke="${GRID}"/>`);
    svg.push(`<line x1="${x + 0.5}" y1="${bottom}" x2="${x + 0.5}" y2="${bottom + 5}" stroke="${AXIS}"/>`);
    svg.push(`<text x="${x + 0.5}" y="${bottom + 10}" font-size="${fontPx}" fill="${INK}" text-anchor="middle" dominant-baseline="hanging">${esc(formatTick(v))}</text>`);
  }

  // Threshold line, under the data (its label goes on top, below).
  const threshold = options.threshold;
  if (threshold !== undefined) {
    const y = Math.round(sy(threshold)) + 0.5;
    canvas.dashedLine(left, y, right, y, 2, 8, 5, parseHexColour(THRESHOLD_COLOUR), 1, plot);
    svg.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="${THRESHOLD_COLOUR}" stroke-width="2" stroke-dasharray="8 5"/>`);
  }

  // Data: every series' faint returns first, then the bold means on top.
  for (const s of series) {
    const colour = parseHexColour(s.colour);
    const xs = s.steps.map(sx);
    canvas.polyline(xs, s.returns.map(sy), 1, colour, 0.3, plot);
    svg.push(`<polyline fill="none" stroke="${s.colour}" stroke-opacity="0.3" stroke-width="1" stroke-linejoin="round" points="${points(xs, s.returns.map(sy))}"/>`);
  }
  for (const s of series) {
    const colour = parseHexColour(s.colour);
    const xs = s.steps.map(sx);
    canvas.polyline(xs, s.mean.map(sy), 3, colour, 1, plot);
    svg.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round" points="${points(xs, s.mean.map(sy))}"/>`);
  }

  // The threshold's label, over the data, at the left end above the line on a white box: learning
  // curves start low and rise to the right, so that corner is empty before the first solve (at
  // the right end, CartPole's curves run at 500 just over 475, and Acrobot's just over -100).
  if (threshold !== undefined) {
    const y = Math.round(sy(threshold)) + 0.5;
    const label = options.thresholdLabel ?? `solved: ${formatTick(threshold)}`;
    const labelW = (label.length * 6 - 1) * font;
    canvas.fillRect(left + 6, y - 8 - font * 7 - 3, labelW + 8, font * 7 + 6, { r: 255, g: 255, b: 255 }, 0.85);
    canvas.text(label, left + 10, y - 8, parseHexColour(THRESHOLD_COLOUR), { scale: font });
    svg.push(`<text x="${left + 10}" y="${y - 8}" stroke="#ffffff" stroke-width="4" stroke-opacity="0.85" paint-order="stroke" font-size="${fontPx}" fill="${THRESHOLD_COLOUR}">${esc(label)}</text>`);
  }

  // Axes frame (left and bottom).
  canvas.fillRect(left, top, 1, bottom - top + 1, axis);
  canvas.fillRect(left, bottom, right - left, 1, axis);
  svg.push(`<path d="M${left + 0.5} ${top}V${bottom + 0.5}H${right}" fill="none" stroke="${AXIS}"/>`);

  // Titles and axis labels.
  const titleScale = Math.max(2, Math.round(font * 1.5));
  canvas.text(title, width / 2, 16, ink, { scale: titleScale, align: 'center', valign: 'top', bold: true });
  canvas.text(subtitle, width / 2, 16 + titleScale * 7 + 10, muted, { scale: font, align: 'center', valign: 'top' });
  canvas.text(xLabel, (left + right) / 2, height - 12, ink, { scale: font, align: 'center' });
  canvas.text(yLabel, 14, (top + bottom) / 2, ink, { scale: font, align: 'center', valign: 'top', vertical: true });
  svg.push(`<text x="${width / 2}" y="16" font-size="${titleScale * 8}" font-weight="bold" fill="${INK}" text-anchor="middle" dominant-baseline="hanging">${esc(title)}</text>`);
  svg.push(`<text x="${width / 2}" y="${16 + titleScale * 7 + 10}" font-size="${fontPx}" fill="${MUTED}" text-anchor="middle" dominant-baseline="hanging">${esc(subtitle)}</text>`);
  svg.push(`<text x="${(left + right) / 2}" y="${height - 12}" font-size="${fontPx}" fill="${INK}" text-anchor="middle">${esc(xLabel)}</text>`);
  svg.push(`<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" font-size="${fontPx}" fill="${INK}" text-anchor="middle" dominant-baseline="hanging">${esc(yLabel)}</text>`);

  // Legend at the bottom right inside the plot (learning curves rise to the right, leaving that
  // corner empty), on a white box.
  const rowH = font * 7 + 8;
  const legendW = 16 + 28 + Math.max(...series.map((s) => s.label.length)) * 6 * font + 12;
  const legendH = series.length * rowH + 10;
  const lx = right - 12 - legendW;
  const ly = bottom - 12 - legendH;
  canvas.fillRect(lx, ly, legendW, legendH, { r: 255, g: 255, b: 255 }, 0.9);
  svg.push(`<rect x="${lx}" y="${ly}" width="${legendW}" height="${legendH}" fill="#ffffff" fill-opacity="0.9" stroke="${GRID}"/>`);
  canvas.fillRect(lx, ly, legendW, 1, grid);
  canvas.fillRect(lx, ly + legendH - 1, legendW, 1, grid);
  canvas.fillRect(lx, ly, 1, legendH, grid);
  canvas.fillRect(lx + legendW - 1, ly, 1, legendH, grid);
  series.forEach((s, i) => {
    const cy = ly + 5 + i * rowH + rowH / 2;
    const colour = parseHexColour(s.colour);
    canvas.polyline([lx + 10, lx + 34], [cy, cy], 3, colour);
    canvas.text(s.label, lx + 44, cy, ink, { scale: font, valign: 'middle' });
    svg.push(`<line x1="${lx + 10}" y1="${cy}" x2="${lx + 34}" y2="${cy}" stroke="${s.colour}" stroke-width="3" stroke-linecap="round"/>`);
    svg.push(`<text x="${lx + 44}" y="${cy}" font-size="${fontPx}" fill="${INK}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });

  svg.push('</svg>');
  const png = encodePng(canvas.rgba, width, height);
  return {
    svg: svg.join('\n'),
    png,
    rgba: canvas.rgba,
    width,
    height,
    toPixel: (step, ret) => ({ x: sx(step), y: sy(ret) }),
  };
}

function points(xs: readonly number[], ys: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) out.push(`${xs[i].toFixed(1)},${ys[i].toFixed(1)}`);
  }
  return out.join(' ');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

