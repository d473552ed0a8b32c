/** The serve flags of gap healing and the built-in simulated node's faults. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, resolveServeConfig } from '../../src/config.js';

describe('serve flags: --gap-after-ms and --sim-faults', () => {
  it('default to 500 ms and no faults, and read flags and variables', () => {
    expect(DEFAULTS.gapAfterMs).toBe(500);
    expect(DEFAULTS.simFaults).toBeNull();
    expect(resolveServeConfig({ gapAfterMs: '0', simFaults: 'rate=0.01' }, {})).toMatchObject({ gapAfterMs: 0, simFaults: 'rate=0.01' });
    expect(resolveServeConfig({}, { HL_ORDERBOOK_GAP_AFTER_MS: '250', HL_ORDERBOOK_SIM_FAULTS: 'skip@10,pause@11:10s' })).toMatchObject({
      gapAfterMs: 250,
      simFaults: 'skip@10,pause@11:10s',
    });
  });

  it('refuse bad values, naming the flag or variable', () => {
    expect(() => resolveServeConfig({ gapAfterMs: 'soon' }, {})).toThrow('--gap-after-ms: expected an integer from 0 to 3600000, got "soon"');
    expect(() => resolveServeConfig({ simFaults: 'explode@3' }, {})).toThrow('--sim-faults: invalid faults "explode@3": unknown fault "explode"');
    expect(() => resolveServeConfig({}, { HL_ORDERBOOK_SIM_FAULTS: 'rate=7' })).toThrow('HL_ORDERBOOK_SIM_FAULTS: invalid faults');
  });
});
