/**
 * One inbound message as the router hands it on: parsed once, shared by every handler
 * and module that wants it.
 */
import * as v from 'valibot';
import { EnvelopeSchema } from './inbound.js';

export interface InboundFrame {
  /** `channel` of a `{channel, data}` message; `''` when the text is not such a message. */
  readonly channel: string;
  /** `data` of the message (`undefined` for `pong`, or when the text is not a message). */
  readonly data: unknown;
  /** The text exactly as received. */
  readonly text: string;
}

/** Outbound messages are JSON values; the runner serializes them after the middleware. */
export type OutboundMessage = Record<string, unknown>;

/** Parses a text frame. Never throws: a text that is not a channel message gets channel `''`. */
export function parseFrame(text: string): InboundFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { channel: '', data: undefined, text };
  }
  if (v.is(EnvelopeSchema, parsed)) return { channel: parsed.channel, data: parsed.data, text };
  return { channel: '', data: parsed, text };
}
