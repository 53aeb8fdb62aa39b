// Yamux's window updates sent after the task that read the data, not in it.
//
// @libp2p/yamux 8 (stream.js, handleData) answers every data frame it reads
// with a window update at once, before the code waiting for the data has
// run: the update is encrypted and written to the socket (in Chromium a hop
// to the network service) between a request's last bytes and the parse and
// hand-off of that request, and on the sender between an answer's bytes and
// the next request. Traced in the extension-ingest bench: about 0.15 ms of
// the browser node's CPU per transaction, 0.2 ms of the Node sender's.
//
// Sent after the task instead, the update goes out once the reader has
// taken the data (the browser node has posted the request to the worker,
// the sender has sent its next request), and the updates of all frames read
// in one task become one. The window is unchanged: the peer may send as
// much as before, only a task later (the initial window is 256 KiB, a
// transaction 40 KB). A paused stream is not updated (yamux checks at the
// time it sends), and a stream gone meanwhile sends nothing.
import type { Stream } from '@libp2p/interface';

/** The part of @libp2p/yamux's YamuxStream this relies on (checked at run time). */
interface YamuxStreamParts {
  sendWindowUpdate?: () => void;
  readonly handleWindowUpdate?: unknown;
}

/** Makes `stream`, when it is a yamux stream, send its window updates after the task that asked for them. */
export function windowUpdatesAfterTask(stream: Stream): Stream {
  const parts = stream as unknown as YamuxStreamParts;
  const update = parts.sendWindowUpdate;
  if (typeof update !== 'function' || typeof parts.handleWindowUpdate !== 'function') return stream;
  let pending = false;
  parts.sendWindowUpdate = () => {
    if (pending) return;
    pending = true;
    afterTask(() => {
      pending = false;
      if (stream.status !== 'open' && stream.status !== 'closing') return;
      try {
        update.call(stream);
      } catch {
        // The connection closed meanwhile: there is nobody left to tell.
      }
    });
  };
  return stream;
}

/**
 * Runs `fn` in a task of its own, soon: Node's setImmediate; in a browser a
 * MessageChannel message, as a hidden document (the offscreen one) may have
 * its timers delayed by up to a second.
 */
const { setImmediate: immediate } = globalThis as { setImmediate?: (fn: () => void) => unknown };
const afterTask: (fn: () => void) => void = immediate ? (fn) => void immediate(fn) : channelTask();

/** A browser's MessageChannel, the part used (Node's own types have no `onmessage`). */
interface TaskChannel {
  readonly port1: { onmessage: (() => void) | null };
  readonly port2: { postMessage(message: null): void };
}

function channelTask(): (fn: () => void) => void {
  let channel: TaskChannel | undefined;
  const queue: (() => void)[] = [];
  return (fn) => {
    if (!channel) {
      channel = new MessageChannel() as unknown as TaskChannel;
      channel.port1.onmessage = () => queue.shift()?.();
    }
    queue.push(fn);
    channel.port2.postMessage(null);
  };
}
