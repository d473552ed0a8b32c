/** A `RawStatus`'s user read from its text (no parse) agrees with the parsed event, and falls back when the text is unusual. */
import { describe, expect, it } from 'vitest';
import { RawStatus, addressKey, statusUser, statusUserKey } from '../../src/book/raw-status.js';

const USER = '0x43ca0000000000000000000000000000000a2c72';
const EV = `{"time":"2026-04-30T20:46:43.372877283","user":"${USER}","hash":null,"builder":null,"status":"canceled","order":{"coin":"BTC","oid":1}}`;

function raw(text: string, prefix = 'xx,'): RawStatus {
  const src = prefix + text + ',{"time":"later","user":"0xother"}';
  return new RawStatus('canceled', 'BTC', 1, src, prefix.length, prefix.length + text.length);
}

describe('RawStatus user', () => {
  it('reads the user and its key in place, without parsing', () => {
    const r = raw(EV);
    expect(r.userText()).toBe(USER);
    expect(r.userKey()).toBe(addressKey(USER));
    expect((r as unknown as { parsed: unknown }).parsed).toBeUndefined();
    expect(statusUser(r)).toBe(USER);
    expect(statusUserKey(r)).toBe(addressKey(USER));
  });

  it('keys differ for addresses that differ early, and a plain event gives the same', () => {
    expect(addressKey(USER)).not.toBe(addressKey('0x44ca0000000000000000000000000000000a2c72'));
    const plain = JSON.parse(EV) as { user: string };
    expect(statusUserKey(plain as never)).toBe(addressKey(USER));
  });

  it('falls back to parsing when user is not where the node writes it', () => {
    const odd = `{"time":"2026-04-30T20:46:43.372877283","hash":null,"user":"${USER}","builder":null,"status":"canceled","order":{"coin":"BTC","oid":1}}`;
    const r = raw(odd);
    expect(r.userKey()).toBe(-1);
    expect(r.userText()).toBe(USER);
  });
});
