export type { BookFeed, BooksView, FeedEventMap, FeedState, FeedStatus, OrderBookView } from './feed.js';
export { NodeFeed, type FeedOptions, type SnapshotProvider } from './node-feed.js';
export { createNodeFeed, defaultSnapshotDir, type NodeFeedOptions } from './create-feed.js';
export type { BlockSource, BlockSourceEventMap } from '../node/block-source.js';
export { FileBlockSource, type FileBlockSourceOptions } from '../node/file-source.js';
export { checkDataDir, describeMissing, type MissingDir } from '../node/data-dir.js';
export type { Logger } from '../node/logger.js';
