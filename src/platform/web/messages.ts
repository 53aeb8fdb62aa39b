// The typed message layer between the extension's own pages (the popup) and
// the background: a discriminated union of requests, one
// handler per type in a map, a correlation id on every request and its reply,
// and errors carried as {name, message}. Every message's sender is checked
// before its handler runs. Pure: the browser's sendMessage is passed in.

import type { PopupRequests } from './popup-messages.ts';

export const MESSAGE_CHANNEL = 'p2pm';

export interface ExtensionStatus {
  /** The homeserver's server name (hex of its signing key). */
  readonly serverName: string;
  readonly homeserverUrl: string;
  readonly approvedOrigins: readonly string[];
  /** The approved origins the user also allowed to create accounts. */
  readonly accountCreationOrigins: readonly string[];
  /** Content-script ports open to this worker instance. */
  readonly openClientPorts: number;
}

/** Every request the background answers, with its parameters and result (the popup's: popup-messages.ts). */
export interface ExtensionRequests extends PopupRequests {
  /** The user approved `origin`; the popup has already obtained the host permission for it. */
  approveOrigin: { params: { readonly origin: string }; result: { readonly origins: readonly string[] } };
  revokeOrigin: { params: { readonly origin: string }; result: { readonly origins: readonly string[] } };
  listOrigins: { params: Record<string, never>; result: { readonly origins: readonly string[] } };
  /** Allows (or stops) an approved site creating accounts; the sites allowed after. */
  setAccountCreation: {
    params: { readonly origin: string; readonly allowed: boolean };
    result: { readonly accountCreation: readonly string[] };
  };
  status: { params: Record<string, never>; result: ExtensionStatus };
}

export type RequestType = keyof ExtensionRequests;
export type Params<K extends RequestType> = ExtensionRequests[K]['params'];
export type Result<K extends RequestType> = ExtensionRequests[K]['result'];

export type ExtensionMessage = {
  [K in RequestType]: {
    readonly channel: typeof MESSAGE_CHANNEL;
    readonly id: string;
    readonly type: K;
    readonly params: Params<K>;
  };
}[RequestType];

export interface SerializedError {
  readonly name: string;
  readonly message: string;
}

export type ExtensionReply =
  | {
      readonly channel: typeof MESSAGE_CHANNEL;
      readonly id: string;
      readonly ok: true;
      readonly result: unknown;
    }
  | {
      readonly channel: typeof MESSAGE_CHANNEL;
      readonly id: string;
      readonly ok: false;
      readonly error: SerializedError;
    };

/** Who sent a message, as the browser reports it (the part of runtime.MessageSender we check). */
export interface MessageSenderInfo {
  readonly id?: string;
  readonly url?: string;
  readonly origin?: string;
  readonly tab?: unknown;
  readonly frameId?: number;
}

export type HandlerMap = {
  readonly [K in RequestType]: (params: Params<K>, sender: MessageSenderInfo) => Promise<Result<K>>;
};

/** The sender may not send this message. */
export class SenderRejectedError extends Error {
  override readonly name = 'SenderRejectedError';
}

/** An error the other side reported, rebuilt with its name. */
export class RemoteError extends Error {
  constructor(error: SerializedError) {
    super(error.message);
    this.name = error.name;
  }
}

export function isExtensionMessage(value: unknown): value is ExtensionMessage {
  if (typeof value !== 'object' || value === null) return false;
  const msg = value as Record<string, unknown>;
  return (
    msg.channel === MESSAGE_CHANNEL &&
    typeof msg.id === 'string' &&
    typeof msg.type === 'string' &&
    typeof msg.params === 'object' &&
    msg.params !== null
  );
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/**
 * Runs the handler for `message` if `allowSender` accepts its sender; any
 * failure (unknown type, rejected sender, handler error) becomes an error reply.
 */
export async function dispatchMessage(
  handlers: HandlerMap,
  message: ExtensionMessage,
  sender: MessageSenderInfo,
  allowSender: (type: RequestType, sender: MessageSenderInfo) => boolean,
): Promise<ExtensionReply> {
  const { id } = message;
  try {
    if (!Object.hasOwn(handlers, message.type)) throw new TypeError(`unknown message type ${message.type}`);
    if (!allowSender(message.type, sender))
      throw new SenderRejectedError(`${message.type} refused for this sender`);
    const handler = handlers[message.type] as (
      params: unknown,
      sender: MessageSenderInfo,
    ) => Promise<unknown>;
    const result = await handler(message.params, sender);
    return { channel: MESSAGE_CHANNEL, id, ok: true, result };
  } catch (err) {
    return { channel: MESSAGE_CHANNEL, id, ok: false, error: serializeError(err) };
  }
}

/** Sends one request with `send` (runtime.sendMessage) and unwraps its reply, checking the correlation id. */
export async function sendRequest<K extends RequestType>(
  send: (message: ExtensionMessage) => Promise<unknown>,
  type: K,
  params: Params<K>,
): Promise<Result<K>> {
  const id = crypto.randomUUID();
  const reply = (await send({ channel: MESSAGE_CHANNEL, id, type, params } as ExtensionMessage)) as
    | ExtensionReply
    | undefined;
  if (reply?.channel !== MESSAGE_CHANNEL || reply.id !== id) {
    throw new RemoteError({ name: 'ProtocolError', message: `no reply to ${type}` });
  }
  if (!reply.ok) throw new RemoteError(reply.error);
  return reply.result as Result<K>;
}
