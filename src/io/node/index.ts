/** Node-only file helpers: crash-safe writes and the metrics.csv appender. */
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export { MetricsCsvAppender, type MetricsCsvAppenderOptions } from '../../metrics/node/csv-appender.js';
