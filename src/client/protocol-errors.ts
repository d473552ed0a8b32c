/**
 * The texts of the server's error frames (`{"channel":"error","data":…}`) and error post
 * responses, shared by the server, which sends them, and the client, which recognises them
 * by prefix. They are the public Hyperliquid API's texts (the client must also understand
 * that server), so their wording is fixed: change them here or nowhere.
 *
 * Each text is a prefix followed by what the client sent (the subscription's JSON, the
 * frame's text); `serverErrorText` builds them, `SERVER_ERROR_PREFIX` matches them.
 */
export const SERVER_ERROR_PREFIX = {
  /** The subscription does not parse, or names something the server does not have (a coin, a dex). */
  invalidSubscription: 'Invalid subscription',
  /** A subscribe of a subscription the connection holds already (the client treats it as a success). */
  alreadySubscribed: 'Already subscribed',
  /** An unsubscribe of a subscription the connection does not hold (the client treats it as a success). */
  alreadyUnsubscribed: 'Already unsubscribed',
  /** The connection holds as many subscriptions as the server allows. */
  tooManySubscriptions: 'Too many subscriptions',
  /** The frame is not JSON, nests too deep, or is no request this server knows. */
  badRequest: 'Error parsing JSON into valid websocket request',
  /** A post whose `request.type` the server does not answer. */
  unsupportedPost: 'Unsupported post request type',
  /** Too many posts of this connection wait for their answer. */
  tooManyPosts: 'Too many pending post requests',
} as const;

export type ServerErrorKind = keyof typeof SERVER_ERROR_PREFIX;

/** The error texts as the server writes them, from what the client sent. */
export const serverErrorText = {
  invalidSubscription: (json: string): string => `${SERVER_ERROR_PREFIX.invalidSubscription} ${json}`,
  alreadySubscribed: (json: string): string => `${SERVER_ERROR_PREFIX.alreadySubscribed}: ${json}`,
  alreadyUnsubscribed: (json: string): string => `${SERVER_ERROR_PREFIX.alreadyUnsubscribed}: ${json}`,
  tooManySubscriptions: (json: string): string => `${SERVER_ERROR_PREFIX.tooManySubscriptions}: ${json}`,
  badRequest: (quoted: string): string => `${SERVER_ERROR_PREFIX.badRequest}: ${quoted}`,
  unsupportedPost: (type: string, answers: string): string => `${SERVER_ERROR_PREFIX.unsupportedPost} ${type}: ${answers}`,
  tooManyPosts: (max: number): string => `${SERVER_ERROR_PREFIX.tooManyPosts} (at most ${max})`,
} as const satisfies Record<ServerErrorKind, (...args: never[]) => string>;

/** Which of the known errors a server's error text is, by its prefix; undefined for any other text. */
export function serverErrorKind(text: string): ServerErrorKind | undefined {
  for (const kind of Object.keys(SERVER_ERROR_PREFIX) as ServerErrorKind[]) {
    if (text.startsWith(SERVER_ERROR_PREFIX[kind])) return kind;
  }
  return undefined;
}
