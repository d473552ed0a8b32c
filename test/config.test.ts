import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { DEFAULTS, attributeName, givenToCommand, resolveServeConfig, serveOptions } from '../src/config.js';
import { HlobError } from '../src/errors.js';

describe('resolveServeConfig', () => {
  it('gives the documented defaults with no flags and no environment', () => {
    expect(resolveServeConfig({}, {})).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      compressionLevel: 0,
      l2HeartbeatMs: 5000,
      maxClientUnsentBytes: 64 * 1024 * 1024,
      maxTotalUnsentBytes: 1024 * 1024 * 1024,
    });
  });

  it('takes HL_ORDERBOOK_* variables, and flags over variables', () => {
    const env = { HL_ORDERBOOK_PORT: '9001', HL_ORDERBOOK_HOST: '0.0.0.0', HL_ORDERBOOK_WAIT: 'true', HL_ORDERBOOK_DATA_DIR: '/data' };
    expect(resolveServeConfig({}, env)).toMatchObject({ port: 9001, host: '0.0.0.0', wait: true, dataDir: '/data' });
    expect(resolveServeConfig({ port: '9002' }, env)).toMatchObject({ port: 9002 });
    expect(DEFAULTS.workers).toBe(1);
    expect(resolveServeConfig({}, { HL_ORDERBOOK_WORKERS: '2' })).toMatchObject({ workers: 2 });
    expect(resolveServeConfig({ workers: '3' }, { HL_ORDERBOOK_WORKERS: '2' })).toMatchObject({ workers: 3 });
  });

  it("accepts the Rust server's --address and --websocket-compression-level as aliases", () => {
    expect(resolveServeConfig({ address: '0.0.0.0', websocketCompressionLevel: '3' }, {})).toMatchObject({ host: '0.0.0.0', compressionLevel: 3 });
    expect(() => resolveServeConfig({ address: '0.0.0.0', host: '127.0.0.1' }, {})).toThrow(/--host .* and --address .* disagree/);
  });

  it('refuses bad values naming the flag or variable and the value', () => {
    expect(() => resolveServeConfig({ port: '80000' }, {})).toThrow(HlobError);
    expect(() => resolveServeConfig({ port: '80000' }, {})).toThrow('--port: expected an integer from 0 to 65535, got "80000"');
    expect(() => resolveServeConfig({}, { HL_ORDERBOOK_COMPRESSION_LEVEL: '10' })).toThrow(
      'HL_ORDERBOOK_COMPRESSION_LEVEL: expected an integer from 0 to 9, got "10"',
    );
    expect(() => resolveServeConfig({ infoUrl: 'localhost:3001' }, {})).toThrow(/--info-url: expected an http\(s\) URL/);
    expect(() => resolveServeConfig({ logLevel: 'loud' }, {})).toThrow(/--log-level: expected one of/);
    expect(() => resolveServeConfig({}, { HL_ORDERBOOK_WORKERS: '0' })).toThrow('HL_ORDERBOOK_WORKERS: expected an integer from 1 to 64, got "0"');
  });

  it('reads the variables through commander, flags first, a boolean variable by its text, and names the source of a bad value', () => {
    const vars = {
      HL_ORDERBOOK_PORT: '9001',
      HL_ORDERBOOK_HOST: '10.0.0.1',
      HL_ORDERBOOK_WAIT: 'false',
      HL_ORDERBOOK_AUTH_TOKEN: 'env-one, env-two',
      HL_ORDERBOOK_WORKERS: '0',
    };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      const parse = (args: string[]): ReturnType<typeof givenToCommand> => {
        const cmd = new Command('serve').exitOverride();
        for (const o of serveOptions()) cmd.addOption(o);
        cmd.action(() => undefined).parse(args, { from: 'user' });
        return givenToCommand(cmd);
      };
      const g = parse(['--address', '0.0.0.0', '--workers', '2']);
      expect(g.flags).toEqual({ address: '0.0.0.0', workers: '2' });
      expect(resolveServeConfig(g.flags, g.env)).toMatchObject({ port: 9001, host: '0.0.0.0', wait: false, authTokens: ['env-one', 'env-two'], workers: 2 });
      const bad = parse([]);
      expect(() => resolveServeConfig(bad.flags, bad.env)).toThrow('HL_ORDERBOOK_WORKERS: expected an integer from 1 to 64, got "0"');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("maps flags to commander's attribute names", () => {
    expect(attributeName('--l2-heartbeat-ms <ms>')).toBe('l2HeartbeatMs');
    expect(attributeName('--websocket-compression-level <0-9>')).toBe('websocketCompressionLevel');
  });

  it('collects --auth-token given several times, the variable (a comma list) when no flag is given, and the token file', () => {
    expect(DEFAULTS).toMatchObject({ authTokens: [], authTokenFile: null, metricsPublic: false, maxConnectionsPerIp: 0 });
    expect(resolveServeConfig({ authToken: ['one-token', 'two-token'] }, {}).authTokens).toEqual(['one-token', 'two-token']);
    expect(resolveServeConfig({}, { HL_ORDERBOOK_AUTH_TOKEN: 'env-one, env-two' }).authTokens).toEqual(['env-one', 'env-two']);
    expect(resolveServeConfig({ authToken: ['flag'] }, { HL_ORDERBOOK_AUTH_TOKEN: 'env' }).authTokens).toEqual(['flag']);
    const dir = mkdtempSync(join(tmpdir(), 'hlob-tokens-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, '# operators\nfile-one\n\n  file-two  \r\nflag\n');
    expect(resolveServeConfig({ authToken: ['flag'], authTokenFile: file }, {}).authTokens).toEqual(['flag', 'file-one', 'file-two']);
    expect(resolveServeConfig({}, { HL_ORDERBOOK_AUTH_TOKEN_FILE: file }).authTokens).toEqual(['file-one', 'file-two', 'flag']);
    expect(resolveServeConfig({ metricsPublic: true, maxConnectionsPerIp: '8' }, {})).toMatchObject({ metricsPublic: true, maxConnectionsPerIp: 8 });
    expect(resolveServeConfig({}, { HL_ORDERBOOK_MAX_CONNECTIONS_PER_IP: '3', HL_ORDERBOOK_METRICS_PUBLIC: 'yes' })).toMatchObject({
      metricsPublic: true,
      maxConnectionsPerIp: 3,
    });
  });

  it('refuses a bad token or token file naming the source, never echoing the token', () => {
    let message = '';
    try {
      resolveServeConfig({ authToken: ['has space secretvalue'] }, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^--auth-token: a token must be visible ASCII/);
    expect(message).not.toContain('secretvalue');
    expect(() => resolveServeConfig({}, { HL_ORDERBOOK_AUTH_TOKEN: ' , ' })).toThrow('HL_ORDERBOOK_AUTH_TOKEN: must not be empty');
    const dir = mkdtempSync(join(tmpdir(), 'hlob-tokens-'));
    expect(() => resolveServeConfig({ authTokenFile: join(dir, 'missing') }, {})).toThrow(/--auth-token-file: cannot read .*missing: ENOENT/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '# nothing\n\n');
    expect(() => resolveServeConfig({}, { HL_ORDERBOOK_AUTH_TOKEN_FILE: empty })).toThrow(/HL_ORDERBOOK_AUTH_TOKEN_FILE: .*empty holds no token/);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'good-token\nbad token\n');
    expect(() => resolveServeConfig({ authTokenFile: bad }, {})).toThrow(/--auth-token-file .*bad line 2: a token must be visible ASCII/);
    expect(() => resolveServeConfig({ maxConnectionsPerIp: '-1' }, {})).toThrow(/--max-connections-per-ip: expected an integer/);
  });
});
