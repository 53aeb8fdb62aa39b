// The popup's only line to the background: typed requests through the
// message layer (src/platform/web/messages.ts) and the state the background
// pushes over the popup port. When the port drops (the worker was stopped),
// the popup connects again, which starts the worker again.
import type { ExtensionMessage, Params, RequestType, Result } from '../src/platform/web/messages.ts';
import { sendRequest } from '../src/platform/web/messages.ts';
import { isPopupStateMessage, POPUP_PORT_NAME, type PopupState } from '../src/platform/web/popup-messages.ts';

export interface Connection {
  /** Whether the port to the background is open. */
  readonly connected: boolean;
  /** The newest state the background pushed (kept while reconnecting). */
  readonly state: PopupState | undefined;
}

export interface PopupClient {
  request<K extends RequestType>(type: K, params: Params<K>): Promise<Result<K>>;
  /** Calls `listener` with every change of the connection or the state; returns the unsubscribe. */
  subscribe(listener: (connection: Connection) => void): () => void;
}

/** The part of the runtime API the client uses. */
export interface RuntimeLike {
  sendMessage(message: ExtensionMessage): Promise<unknown>;
  connect(info: { name: string }): {
    onMessage: { addListener(listener: (message: unknown) => void): void };
    onDisconnect: { addListener(listener: () => void): void };
    disconnect(): void;
  };
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 4000;

export function connectPopupClient(runtime: RuntimeLike): PopupClient {
  const listeners = new Set<(connection: Connection) => void>();
  let connection: Connection = { connected: false, state: undefined };
  let retry = FIRST_RETRY_MS;
  const publish = (next: Connection) => {
    connection = next;
    for (const listener of listeners) listener(connection);
  };
  const open = () => {
    const port = runtime.connect({ name: POPUP_PORT_NAME });
    port.onMessage.addListener((message) => {
      if (!isPopupStateMessage(message)) return;
      retry = FIRST_RETRY_MS;
      publish({ connected: true, state: message.state });
    });
    port.onDisconnect.addListener(() => {
      publish({ ...connection, connected: false });
      setTimeout(open, retry);
      retry = Math.min(retry * 2, MAX_RETRY_MS);
    });
  };
  open();
  return {
    request: (type, params) => sendRequest((message) => runtime.sendMessage(message), type, params),
    subscribe(listener) {
      listeners.add(listener);
      listener(connection);
      return () => listeners.delete(listener);
    },
  };
}
