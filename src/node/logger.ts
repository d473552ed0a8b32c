// The project's one logger type (src/util/logger.ts), under the path ingest imports it from.
export { silentLogger, type Logger } from '../util/logger.js';
