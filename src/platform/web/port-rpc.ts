// Typed request/response and events over one runtime port, in both
// directions: every request carries a correlation id and gets exactly one
// reply (a result, or an error as {name, message}); events get none. When
// the port goes away (the worker or the document at the other end stopped),
// every call still waiting fails with LinkClosedError, so nothing hangs.
//
// Requests and replies may also travel over a second carrier beside the port
// (`attach`: Chrome's offscreen document and worker share a MessageChannel,
// which skips the browser process a runtime port message goes through). A
// MessagePort says nothing when its other end goes away, so the port stays:
// its disconnect still ends the link. Events take the carrier replies take,
// so that one side sees them in the order the other sent them (a `status`
// reply must not overtake the `peer down` sent after it); only what must be
// an extension message (Chrome's keep-alive) goes on the port (`emitOnPort`).
import { RemoteError, type SerializedError, serializeError } from './messages.ts';

/** Request types, each with its parameters and result. */
export type RequestMap<M> = { [K in keyof M]: { params: unknown; result: unknown } };

export type RpcHandlers<M extends RequestMap<M>> = {
  readonly [K in keyof M]: (params: M[K]['params']) => Promise<M[K]['result']>;
};

type RpcMessage =
  | { readonly kind: 'request'; readonly id: number; readonly type: string; readonly params: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: SerializedError }
  | { readonly kind: 'event'; readonly event: unknown }
  /** The first message on an attached carrier: the other side listens there (see `attach`). */
  | { readonly kind: 'attached' };

/** The part of runtime.Port used here. */
export interface RpcPort {
  postMessage(message: unknown): void;
  disconnect(): void;
  readonly onMessage: { addListener(listener: (message: unknown) => void): void };
  readonly onDisconnect: { addListener(listener: () => void): void };
}

/** The part of MessagePort used as a second carrier (see `attach`), and for the verifier Worker (verifier-wire.ts). */
export interface RpcChannel {
  /** `transfer`: what is moved to the other end, not copied (ArrayBuffers, MessagePorts). */
  postMessage(message: unknown, transfer?: object[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

/** The other end went away (or never answered in time) before replying. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}

export interface PortRpcOptions<Local extends RequestMap<Local>, Event> {
  /** Answers the other side's requests. */
  readonly handlers: RpcHandlers<Local>;
  readonly onEvent?: (event: Event) => void;
  /** Called once when the port disconnects (from either side). */
  readonly onClose?: () => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class PortRpc<Local extends RequestMap<Local>, Remote extends RequestMap<Remote>, Event> {
  readonly #port: RpcPort;
  readonly #options: PortRpcOptions<Local, Event>;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #channel: RpcChannel | undefined;
  /** Whether the other side was heard on #channel: only then do requests and replies go there. */
  #channelHeard = false;

  constructor(port: RpcPort, options: PortRpcOptions<Local, Event>) {
    this.#port = port;
    this.#options = options;
    port.onMessage.addListener((message) => this.#receive(message));
    port.onDisconnect.addListener(() => this.#end());
  }

  get closed(): boolean {
    return this.#closed;
  }

  call<K extends keyof Remote & string>(
    type: K,
    params: Remote[K]['params'],
    timeoutMs?: number,
  ): Promise<Remote[K]['result']> {
    if (this.#closed) return Promise.reject(new LinkClosedError(`${type}: the link is closed`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => this.#settle(id, new LinkClosedError(`${type}: no reply in ${timeoutMs} ms`)),
              timeoutMs,
            );
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      if (!this.#post({ kind: 'request', id, type, params })) {
        this.#settle(id, new LinkClosedError(`${type}: the link is closed`));
      }
    });
  }

  /**
   * Listens for requests and replies on `channel` too, and sends them there
   * once the other side is known to listen on it: at once when `heard` (this
   * side got the channel from the other one), else from the first message
   * that arrives on it. The side that says `heard` sends an `attached` first.
   * A channel attached before replaces the one before; closing the link
   * closes it.
   */
  attach(channel: RpcChannel, heard: boolean): void {
    this.#channel?.close();
    if (this.#closed) {
      channel.close();
      return;
    }
    this.#channel = channel;
    this.#channelHeard = heard;
    channel.onmessage = (evt) => {
      if (this.#channel !== channel) return;
      this.#channelHeard = true;
      this.#receive(evt.data);
    };
    if (heard) this.#post({ kind: 'attached' });
  }

  emit(event: Event): boolean {
    return this.#post({ kind: 'event', event });
  }

  /** An event on the runtime port even when a channel is attached: an extension message (a keep-alive). */
  emitOnPort(event: Event): boolean {
    return this.#post({ kind: 'event', event }, this.#port);
  }

  /** Disconnects this side; calls still waiting fail. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#port.disconnect();
    } catch {
      // already gone
    }
    this.#end();
  }

  #post(message: RpcMessage, carrier: RpcPort | RpcChannel | undefined = this.#carrier()): boolean {
    if (this.#closed) return false;
    try {
      carrier.postMessage(message);
      return true;
    } catch {
      // A channel's structured clone refuses what the port's JSON would
      // drop (a function in a result): the port then takes it, so no call
      // waits for a reply that was never sent.
      if (carrier !== this.#port) return this.#post(message, this.#port);
      // The other end disconnected a moment ago; onDisconnect follows.
      return false;
    }
  }

  #carrier(): RpcPort | RpcChannel {
    return (this.#channelHeard ? this.#channel : undefined) ?? this.#port;
  }

  #receive(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const message = raw as RpcMessage;
    if (message.kind === 'event') this.#options.onEvent?.(message.event as Event);
    else if (message.kind === 'request' && Number.isSafeInteger(message.id)) void this.#answer(message);
    else if (message.kind === 'reply' && Number.isSafeInteger(message.id)) {
      this.#settle(
        message.id,
        message.ok ? undefined : new RemoteError(message.error),
        message.ok ? message.result : undefined,
      );
    }
  }

  async #answer(message: Extract<RpcMessage, { kind: 'request' }>): Promise<void> {
    const { id, type } = message;
    try {
      if (!Object.hasOwn(this.#options.handlers, type)) throw new TypeError(`unknown request ${type}`);
      const handler = this.#options.handlers[type as keyof Local] as (params: unknown) => Promise<unknown>;
      this.#post({ kind: 'reply', id, ok: true, result: await handler(message.params) });
    } catch (err) {
      this.#post({ kind: 'reply', id, ok: false, error: serializeError(err) });
    }
  }

  #settle(id: number, error: Error | undefined, result?: unknown): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result);
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel?.close();
    for (const id of [...this.#pending.keys()])
      this.#settle(id, new LinkClosedError('the other side went away'));
    this.#options.onClose?.();
  }
}
