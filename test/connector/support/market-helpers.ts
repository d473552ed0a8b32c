/** What the connector's stack tests import, in one place. */
export { Auth, ExchangeClient, HyperliquidMarket, NonceManager, offsetPrice, type Fetch, type InFlightOrder } from '../../../src/connector/index.js';
export { systemClock as systemClockForTests } from '../../../src/client/index.js';
