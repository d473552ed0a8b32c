/**
 * The simulated node and its tools: `startSimulator` (a market writing the node's files and
 * answering its info server), `startReplay` (recorded node data written again, with its
 * snapshot served), and `checkNodeData` (the invariants a real node's output keeps).
 */
export { startSimulator, parseStartTime, type SimulatorOptions } from './simulator.js';
export type { RunningSim, SimStats } from './running-node.js';
export { PROFILES, PROFILE_NAMES, type ProfileName, type RateProfile } from './profiles.js';
export { buildMarket, metaResponse, spotMetaResponse, HYPERLIQUIDITY_USER, type CoinSpec, type CoinKind } from './market.js';
export { perpDexsResponse } from './public-info.js';
export { STREAM_PREFIXES as STREAMS, type StreamPrefix as StreamName } from '../node/format.js';
export { startReplay, type ReplayOptions } from './replay.js';
export { checkNodeData, DataChecker, type CheckOptions, type CheckReport, type Violation, type TrackedOrder } from './check-data.js';
export { readSnapshotFile } from './snapshot-file.js';
export { resolveDataDir, hourlyFiles, fileLines, streamLines, type FileLine } from './node-files.js';
