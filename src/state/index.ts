export type { BookFeed, FeedEventMap, FeedState, FeedStatus } from './feed.js';
export { createNodeFeed, NodeFeed, type NodeFeedOptions } from './node-feed.js';
export { checkDataDir, describeMissing, type MissingDir } from '../node/data-dir.js';
export type { Logger } from '../node/logger.js';
