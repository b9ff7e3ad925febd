/** Node-only metrics output: the metrics.csv appender. */
export { MetricsCsvAppender, type MetricsCsvAppenderOptions } from './csv-appender.js';
