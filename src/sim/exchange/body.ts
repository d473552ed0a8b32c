/**
 * `POST /exchange` bodies, parsed at the edge: a bound on nesting before anything walks the
 * body, then valibot schemas for the request and each action type. What passes is typed; the
 * raw action is kept too, because the signature covers its exact keys and their order.
 */
import * as v from 'valibot';

/** Deeper bodies are refused before parsing (no exchange action nests more than 6 levels). */
export const MAX_DEPTH = 16;

const hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `must be 0x and ${bytes * 2} hex digits`));
const address = hex(20);
const cloid = hex(16);
const decimal = v.pipe(v.string(), v.maxLength(40), v.regex(/^\d+(\.\d+)?$/, 'must be a decimal string'));
const nonNegInt = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const asset = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000));
const MAX_BATCH = 1000;

const limitType = v.object({ limit: v.object({ tif: v.picklist(['Gtc', 'Alo', 'Ioc', 'FrontendMarket', 'LiquidationMarket']) }) });
const triggerType = v.object({ trigger: v.object({ isMarket: v.boolean(), triggerPx: decimal, tpsl: v.picklist(['tp', 'sl']) }) });

export const OrderWire = v.object({
  a: asset,
  b: v.boolean(),
  p: decimal,
  s: decimal,
  r: v.boolean(),
  t: v.union([limitType, triggerType]),
  c: v.optional(cloid),
});
export type OrderWire = v.InferOutput<typeof OrderWire>;

const OrderAction = v.object({
  type: v.literal('order'),
  orders: v.pipe(v.array(OrderWire), v.minLength(1), v.maxLength(MAX_BATCH)),
  grouping: v.picklist(['na', 'normalTpsl', 'positionTpsl']),
  builder: v.optional(v.object({ b: address, f: nonNegInt })),
});
const CancelAction = v.object({
  type: v.literal('cancel'),
  cancels: v.pipe(v.array(v.object({ a: asset, o: nonNegInt })), v.minLength(1), v.maxLength(MAX_BATCH)),
});
const CancelByCloidAction = v.object({
  type: v.literal('cancelByCloid'),
  cancels: v.pipe(v.array(v.object({ asset, cloid })), v.minLength(1), v.maxLength(MAX_BATCH)),
});
const oidOrCloid = v.union([nonNegInt, cloid]);
const ModifyAction = v.object({ type: v.literal('modify'), oid: oidOrCloid, order: OrderWire });
const BatchModifyAction = v.object({
  type: v.literal('batchModify'),
  modifies: v.pipe(v.array(v.object({ oid: oidOrCloid, order: OrderWire })), v.minLength(1), v.maxLength(MAX_BATCH)),
});
const ScheduleCancelAction = v.object({ type: v.literal('scheduleCancel'), time: v.optional(nonNegInt) });
const UpdateLeverageAction = v.object({
  type: v.literal('updateLeverage'),
  asset,
  isCross: v.boolean(),
  leverage: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)),
});
const NoopAction = v.object({ type: v.literal('noop') });
const ApproveAgentAction = v.object({
  type: v.literal('approveAgent'),
  signatureChainId: v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{1,16}$/)),
  hyperliquidChain: v.picklist(['Mainnet', 'Testnet']),
  agentAddress: address,
  agentName: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  nonce: nonNegInt,
});

export const Action = v.variant('type', [
  OrderAction,
  CancelAction,
  CancelByCloidAction,
  ModifyAction,
  BatchModifyAction,
  ScheduleCancelAction,
  UpdateLeverageAction,
  NoopAction,
  ApproveAgentAction,
]);
export type Action = v.InferOutput<typeof Action>;

export const ExchangeRequest = v.object({
  action: v.looseObject({ type: v.string() }),
  nonce: nonNegInt,
  signature: v.object({
    r: v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{1,64}$/)),
    s: v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{1,64}$/)),
    v: v.picklist([27, 28, 0, 1]),
  }),
  vaultAddress: v.optional(v.nullable(address)),
  expiresAfter: v.optional(v.nullable(nonNegInt)),
});

export interface ParsedRequest {
  /** The action exactly as sent (the signature covers its key order). */
  rawAction: unknown;
  action: Action;
  nonce: number;
  signature: { r: `0x${string}`; s: `0x${string}`; v: number };
  vaultAddress: string | null;
  expiresAfter: number | null;
}

/** Deepest nesting of `[`/`{` outside strings, stopping as soon as it passes `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (ch === 125 || ch === 93) depth--;
  }
  return max;
}

/** The request or the reason it is refused (a message naming the field). */
export function parseExchangeRequest(text: string): ParsedRequest | { error: string } {
  if (nestingDepth(text, MAX_DEPTH) > MAX_DEPTH) return { error: `request body nests deeper than ${MAX_DEPTH} levels` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'Failed to deserialize the JSON body into the target type: not JSON' };
  }
  const req = v.safeParse(ExchangeRequest, body);
  if (!req.success) return { error: `Failed to deserialize the JSON body into the target type: ${describe(req.issues)}` };
  const action = v.safeParse(Action, req.output.action);
  if (!action.success) return { error: `Failed to deserialize the JSON body into the target type: action: ${describe(action.issues)}` };
  return {
    rawAction: (body as { action: unknown }).action,
    action: action.output,
    nonce: req.output.nonce,
    signature: req.output.signature as ParsedRequest['signature'],
    vaultAddress: req.output.vaultAddress?.toLowerCase() ?? null,
    expiresAfter: req.output.expiresAfter ?? null,
  };
}

function describe(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  const path = v.getDotPath(first) ?? '(body)';
  return `${path}: ${first.message}`.slice(0, 300);
}
