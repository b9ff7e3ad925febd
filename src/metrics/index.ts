/** Browser-safe metrics: the metrics.csv format and learning-curve plots (SVG and PNG). */
export {
  METRICS_COLUMNS,
  formatCompact,
  formatMetricsHeader,
  formatMetricsRow,
  parseMetricsCsv,
  type EpisodeMetrics,
} from './csv-log.js';
export {
  SERIES_COLOURS,
  THRESHOLD_COLOUR,
  movingMean,
  renderLearningCurve,
  seriesFromMetrics,
  type CurveSeries,
  type LearningCurveImage,
  type LearningCurveOptions,
} from './plot.js';
export { RasterCanvas, parseHexColour, type ClipRect, type RgbColour, type TextOptions } from './raster.js';
export { niceTicks, formatTick } from './ticks.js';
export { GLYPH_ASCENT, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, hasGlyph, textWidth } from './bitmap-font.js';
