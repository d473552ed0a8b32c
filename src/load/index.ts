/** The load tool: many clients against a local server, and what they measured. */
export { ClientPool, type ClientPoolOptions, type PoolStats } from './client-pool.js';
export { parseDuration } from './duration.js';
export { scanFrame, scanTime, scanChannel, type FrameFacts } from './frame-scan.js';
export { LatencyHistogram, type HistogramData } from './histogram.js';
export { formatReport, MAX_CLIENTS, MAX_DURATION_MS, runLoadTest, type LoadReport, type LoadTestOptions } from './load-test.js';
export { isLoopbackHost, parseLoopbackWsUrl } from './loopback.js';
export { metricsProbe, procProbe, type ServerProbe, type ServerSample } from './server-probe.js';
export { SubscriptionPlan, parseSubscriptionItem, type Subscription } from './subscriptions.js';
