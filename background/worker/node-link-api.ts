// How the background reaches the libp2p node. Chrome (node-link.ts): the
// node runs in the offscreen document, behind a runtime port. Firefox
// (node-link.firefox.ts, swapped in at build time): the node runs in the
// event page itself and the same calls are made in-process. Both give the
// background this one shape.
import type { Logger } from '../../src/core/public.ts';
import type { HostRequests, NodeEvent, NodeRequests } from '../../src/platform/web/node-wire.ts';
import type { RpcChannel, RpcHandlers, RpcPort } from '../../src/platform/web/port-rpc.ts';

/** A runtime port as the background receives it (the part of chrome.runtime.Port used). */
export interface NodePort extends RpcPort {
  readonly name: string;
  readonly sender?: { readonly id?: string; readonly url?: string; readonly tab?: unknown };
}

/** What the background serves to the node. */
export interface NodeLinkHost {
  readonly handlers: RpcHandlers<HostRequests>;
  onEvent(event: NodeEvent): void;
  /** A (new) link to the node is up: its state may have moved on while there was none. */
  onConnected(): void;
  /** The link is gone (Chrome: the offscreen document closed or crashed). */
  onDisconnected(): void;
}

export interface NodeLink {
  /**
   * One request to the node. Waits until the node is reachable (Chrome
   * creates the offscreen document if it is missing); fails with
   * LinkClosedError when the node goes away before answering, or when no
   * answer came within `timeoutMs`.
   */
  call<K extends keyof NodeRequests & string>(
    type: K,
    params: NodeRequests[K]['params'],
    timeoutMs?: number,
  ): Promise<NodeRequests[K]['result']>;
  /** Sets what serves the node's requests and events (once, when the homeserver's identity is known). */
  serve(host: NodeLinkHost): void;
  /** runtime.onConnect listener, registered at the background's top level. */
  accept(port: NodePort): void;
}

export interface NodeLinkDeps {
  readonly logger: Logger;
  /** A failure the user should see (the popup's last error), in words. */
  readonly reportError: (message: string) => void;
  /**
   * Chrome: takes the MessagePorts to the verifier Worker the offscreen
   * document offers (verifier-link.ts); without it they are closed. Firefox
   * has no offscreen document, and no offers.
   */
  readonly onVerifierPort?: (port: RpcChannel) => void;
}
