// Two connected fake runtime ports (src/platform/web/port-rpc.ts RpcPort):
// each message is serialised as JSON, as Chrome's runtime ports do, and
// arrives asynchronously; disconnect() fires onDisconnect on the other side
// only, as in Chrome.
import type { RpcPort } from '../../src/platform/web/port-rpc.ts';

export interface FakePort extends RpcPort {
  readonly name: string;
  /** Messages this side posted, as sent. */
  readonly posted: unknown[];
}

export function fakePortPair(name = 'test'): [FakePort, FakePort] {
  const make = () => {
    const messageListeners: ((message: unknown) => void)[] = [];
    const disconnectListeners: (() => void)[] = [];
    return { messageListeners, disconnectListeners, open: true };
  };
  const ends = [make(), make()];
  const port = (self: number): FakePort => {
    const me = ends[self]!;
    const other = ends[1 - self]!;
    const posted: unknown[] = [];
    return {
      name,
      posted,
      postMessage(message) {
        if (!me.open) throw new Error('Attempting to use a disconnected port object');
        posted.push(message);
        const copy = JSON.parse(JSON.stringify(message)) as unknown;
        setTimeout(() => {
          if (other.open) for (const listener of other.messageListeners) listener(copy);
        }, 0);
      },
      disconnect() {
        if (!me.open) return;
        me.open = false;
        other.open = false;
        setTimeout(() => {
          for (const listener of other.disconnectListeners) listener();
        }, 0);
      },
      onMessage: { addListener: (listener) => void me.messageListeners.push(listener) },
      onDisconnect: { addListener: (listener) => void me.disconnectListeners.push(listener) },
    };
  };
  return [port(0), port(1)];
}
