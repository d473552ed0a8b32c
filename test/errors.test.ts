import { describe, expect, it } from 'vitest';
import { asError, codedError, ErrorCodes, ErrorTemplates, formatTemplate, hasCode, HlobError, type ErrorName } from '../src/errors.js';

describe('the error registry', () => {
  it('gives every name a code HLOB_ERR_<name> and a template', () => {
    for (const [name, code] of Object.entries(ErrorCodes)) {
      expect(code).toBe(`HLOB_ERR_${name}`);
      expect(typeof ErrorTemplates[name as ErrorName]).toBe('string');
    }
    // Codes users and tests match: unchanged.
    expect(ErrorCodes.BAD_LINE).toBe('HLOB_ERR_BAD_LINE');
    expect(ErrorCodes.CLIENT_TIMEOUT).toBe('HLOB_ERR_CLIENT_TIMEOUT');
    expect(ErrorCodes.EXCHANGE_UNAVAILABLE).toBe('HLOB_ERR_EXCHANGE_UNAVAILABLE');
  });

  it('codedError fills the template in order and keeps a cause', () => {
    const e = codedError('NO_ANSWER', 500);
    expect(e).toBeInstanceOf(HlobError);
    expect(e.code).toBe('HLOB_ERR_NO_ANSWER');
    expect(e.message).toBe('no answer within 500 ms');
    const cause = new Error('root');
    const m = codedError('CLIENT_MODULE', 'Post', 'stopped', { cause });
    expect(m.message).toBe('module Post: stopped');
    expect(m.cause).toBe(cause);
    expect(hasCode(m, ErrorCodes.CLIENT_MODULE)).toBe(true);
    expect(hasCode(m, ErrorCodes.USAGE)).toBe(false);
    expect(hasCode(new Error('x'))).toBe(false);
  });

  it('formatTemplate appends extra arguments and leaves missing ones visible', () => {
    expect(formatTemplate('%s and %s', ['a'])).toBe('a and %s');
    expect(formatTemplate('%s', ['a', 'b'])).toBe('a b');
  });

  it('asError keeps Errors and wraps anything else', () => {
    const e = new Error('x');
    expect(asError(e)).toBe(e);
    expect(asError('text').message).toBe('text');
  });
});
