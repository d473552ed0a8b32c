/**
 * A running Hyperliquid node kills every process whose command line contains the node's
 * binary name. Refuse such arguments before doing anything, with the reason.
 */
const FORBIDDEN = ['hl', 'node'].join('-');

export function refuseNodeKillerArgs(args: readonly string[]): void {
  const bad = args.find((a) => a.includes(FORBIDDEN));
  if (bad === undefined) return;
  process.stderr.write(
    `hl-orderbook: refusing argument ${JSON.stringify(bad)}: a running Hyperliquid node kills any process ` +
      `whose command line contains "${FORBIDDEN}". Rename the path or use an environment variable.\n`,
  );
  process.exit(2);
}
