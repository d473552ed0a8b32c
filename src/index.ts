export * from './book/index.js';
export * from './errors.js';
