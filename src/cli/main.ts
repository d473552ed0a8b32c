#!/usr/bin/env node
/**
 * `hl-orderbook`: one binary, one subcommand per job. Each domain registers its own
 * subcommands (src/cli/<command>.ts) so that this file stays a table of contents.
 */
import { Command } from 'commander';
import { refuseNodeKillerArgs } from './guard.js';
import { registerLoadtest } from './loadtest.js';
import { registerServe } from './serve.js';
import { registerSimulateCommands } from './simulate.js';

const program = new Command();
program.name('hl-orderbook').description('Order book server for a Hyperliquid node, its simulated node, and tools').showHelpAfterError();

registerServe(program);
registerSimulateCommands(program);
registerLoadtest(program);

refuseNodeKillerArgs(process.argv.slice(2));

await program.parseAsync(process.argv);
