// The client SDK's public surface: `import { ClientBuilder, Subscriptions } from 'hl-orderbook/client'`.
export * from './core/index.js';
export * from './modules/index.js';
export * from './protocol.js';
export * from './protocol-errors.js';
