// The package's main entry (`hl-orderbook`): the coded errors and the book's public types and
// read-only surface (src/book/index.ts decides what that is). The client SDK, the connector and
// the simulator have their own entries (`hl-orderbook/client`, `/connector`, `/sim`); the
// server, ingest and CLI are the program, not the library.
export * from './book/index.js';
export * from './errors.js';
