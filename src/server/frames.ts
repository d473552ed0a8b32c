/**
 * Client → server frames: untrusted text parsed into typed requests in one place. A frame
 * that is not JSON or not a known method gets the public API's error text; everything
 * finer (subscription parameters) is checked in `subscriptions.ts`.
 */
import * as v from 'valibot';
import { serverErrorText } from '../client/protocol-errors.js';

/** Longest piece of a bad frame quoted back in the error text. */
export const QUOTE_LIMIT = 1000;

const SubscriptionObject = v.looseObject({});

const ClientRequestSchema = v.variant('method', [
  v.object({ method: v.literal('subscribe'), subscription: SubscriptionObject }),
  v.object({ method: v.literal('unsubscribe'), subscription: SubscriptionObject }),
  v.object({ method: v.literal('ping') }),
  v.object({
    method: v.literal('post'),
    id: v.pipe(v.number(), v.finite()),
    request: v.looseObject({ type: v.string(), payload: v.unknown() }),
  }),
]);

export type ClientRequest =
  | { method: 'subscribe' | 'unsubscribe'; subscription: Record<string, unknown> }
  | { method: 'ping' }
  | { method: 'post'; id: number; request: { type: string; payload: unknown } };

export type ParsedFrame = { ok: true; request: ClientRequest } | { ok: false; error: string };

/**
 * Deepest nesting a request may have. Real requests nest 4 levels; a 64 KiB frame can nest
 * 30,000, which `JSON.parse` takes but a recursive `JSON.stringify` of it (the error and
 * acknowledgement texts echo the subscription) overflows the stack: one frame used to crash
 * the process, and each such frame cost milliseconds.
 */
export const MAX_NESTING = 64;

/** Whether `text` opens more than `limit` arrays or objects at once (outside strings). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function parseErrorText(text: string): string {
  return serverErrorText.badRequest(text.length > QUOTE_LIMIT ? text.slice(0, QUOTE_LIMIT) : text);
}

export function parseClientFrame(text: string): ParsedFrame {
  if (nestsDeeperThan(text, MAX_NESTING)) return { ok: false, error: parseErrorText(text) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: parseErrorText(text) };
  }
  const r = v.safeParse(ClientRequestSchema, json);
  if (!r.success) return { ok: false, error: parseErrorText(text) };
  // Keep the subscription object as the client sent it (key order, nulls, extra keys): the
  // acknowledgement and error texts echo it exactly.
  if (r.output.method === 'subscribe' || r.output.method === 'unsubscribe') {
    return { ok: true, request: { method: r.output.method, subscription: (json as { subscription: Record<string, unknown> }).subscription } };
  }
  if (r.output.method === 'post') {
    const req = (json as { request: { type: string; payload: unknown } }).request;
    return { ok: true, request: { method: 'post', id: r.output.id, request: { type: req.type, payload: req.payload } } };
  }
  return { ok: true, request: { method: 'ping' } };
}
