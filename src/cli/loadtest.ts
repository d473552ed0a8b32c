/**
 * `hl-orderbook loadtest`: many WebSocket clients against a server on this machine, and
 * what they measured (frames, bytes, latency, errors, the server's CPU per frame).
 */
import type { Command } from 'commander';
import { ErrorCodes, HlobError } from '../errors.js';
import { MAX_CLIENTS, formatReport, parseDuration, runLoadTest } from '../load/index.js';

interface LoadtestFlags {
  url: string;
  clients: string;
  subscribe: string;
  coins?: string;
  duration: string;
  workers: string;
  serverPid?: string;
  metricsUrl?: string;
  sampleEvery: string;
  tailClients: string;
  churn?: string;
  seed: string;
  connectConcurrency: string;
  json?: boolean;
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new HlobError(ErrorCodes.CONFIG, `${flag}: ${JSON.stringify(text)} is not a whole number`);
  return Number(text);
}

export function registerLoadtest(program: Command): void {
  program
    .command('loadtest')
    .description('open many WebSocket clients against a local server and measure what they receive (loopback only)')
    .option('--url <url>', "the server's WebSocket URL (127.0.0.0/8, localhost or ::1 only)", 'ws://127.0.0.1:8000/ws')
    .option('--clients <n>', `connections to open (at most ${MAX_CLIENTS})`, '100')
    .option(
      '--subscribe <list>',
      'what each client subscribes to: type[:coin[:params]] comma separated, e.g. l2Book:BTC,l2Book:BTC:5,trades:BTC,bbo:ETH,' +
        "l4Book:BTC:bookOnly,allMids,serverStatus; a coin of * is the client's coin from --coins (round robin)",
      'l2Book:BTC,trades:BTC,bbo:BTC',
    )
    .option('--coins <list>', 'coins that * in --subscribe cycles through, e.g. BTC,ETH,SOL: client i gets coin i mod n')
    .option('--duration <time>', 'measuring window after every client subscribed: 60s, 5m… (at most 2h)', '60s')
    .option('--workers <k>', 'worker processes holding the clients (0 = this process)', '1')
    .option('--server-pid <pid>', "the server's pid, to read its CPU and memory from /proc (default: its /metrics)")
    .option('--metrics-url <url>', "the server's Prometheus URL (default: /metrics on --url's host and port)")
    .option('--sample-every <n>', 'read the latency of one frame in n per connection', '1')
    .option(
      '--tail-clients <n>',
      "extra clients opened last, in the tool's own process, measured apart: the latency of the clients the server serves last, without the tool's own queueing",
      '0',
    )
    .option('--churn <time>', 'mean connection lifetime: clients close and reconnect at random (default: never)')
    .option('--seed <n>', 'seed of the churn lifetimes', '1')
    .option('--connect-concurrency <n>', 'handshakes in flight during the ramp', '200')
    .option('--json', 'print only the JSON report')
    .action(async (flags: LoadtestFlags) => {
      const ac = new AbortController();
      // Ctrl-C ends the window early and still prints the report.
      const onSigint = (): void => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        const report = await runLoadTest({
          url: flags.url,
          clients: wholeNumber('--clients', flags.clients),
          subscribe: flags.subscribe,
          coins: flags.coins ? flags.coins.split(',') : [],
          durationMs: parseDuration(flags.duration),
          workers: wholeNumber('--workers', flags.workers),
          ...(flags.serverPid !== undefined && { serverPid: wholeNumber('--server-pid', flags.serverPid) }),
          ...(flags.metricsUrl !== undefined && { metricsUrl: flags.metricsUrl }),
          sampleEvery: Math.max(1, wholeNumber('--sample-every', flags.sampleEvery)),
          tailClients: wholeNumber('--tail-clients', flags.tailClients),
          ...(flags.churn !== undefined && { churnMs: parseDuration(flags.churn, '--churn') }),
          seed: wholeNumber('--seed', flags.seed),
          connectConcurrency: Math.max(1, wholeNumber('--connect-concurrency', flags.connectConcurrency)),
          signal: ac.signal,
          ...(!flags.json && { onProgress: (line: string) => process.stderr.write(`loadtest: ${line}\n`) }),
        });
        if (!flags.json) process.stdout.write(formatReport(report) + '\n');
        process.stdout.write(JSON.stringify(report) + '\n');
        // A run where no client ever got in measured nothing: fail it.
        if (report.connects === 0) process.exitCode = 1;
      } catch (err) {
        if (err instanceof HlobError) {
          process.stderr.write(`hl-orderbook loadtest: ${err.message} [${err.code}]\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
