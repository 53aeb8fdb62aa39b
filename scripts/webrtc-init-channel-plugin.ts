// esbuild plugin that mends a race in @libp2p/webrtc's browser-to-browser
// dial (private-to-private/initiate-connection.js), which made one first
// WebRTC connection in five fail between two browsers that had just met.
//
// The dialling side creates an `init` data channel so that the offer has
// something to negotiate; once connected it waits for that channel's `open`,
// closes it and waits for its `close`. The answering side's muxer closes an
// incoming `init` channel the moment it adopts it (muxer.ts onDataChannel).
// When that close reaches the dialling side before its channel was announced
// open, the channel goes to `closed` without an `open` event, and the dial
// waits for one until libp2p's per-address timeout (6 s) ends it: the other
// browser already holds a connection nothing answers on, federation stays on
// the relay's circuit (1 MiB), and the next attempt comes seconds later. Seen
// in `node bench/run.ts big-room-browsers` (trace logs of the dial: "wait for
// init channel to open", then nothing until "signal timed out"), where the
// join took 8.5-15.6 s instead of about 1.7 in 3 to 4 runs of 14.
//
// Mended: the wait for `open` also ends on `close`, and the wait for `close`
// is skipped when the channel is closed already. The build fails if the
// library's code no longer reads as expected (an upgrade changed it), rather
// than shipping it unmended or the mend misplaced.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

const FILE =
  /[\\/]node_modules[\\/]@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]private-to-private[\\/]initiate-connection\.js$/;

/** The two waits on the init channel, as @libp2p/webrtc 6.0.33 writes them, and what replaces each. */
const MENDS: readonly { readonly wait: RegExp; readonly mended: string }[] = [
  {
    wait: /if \(channel\.readyState !== 'open'\) \{(\s*log\.trace\('wait for init channel to open'\);\s*)await pEvent\(channel, 'open', \{\s*signal\s*\}\);/,
    mended:
      "if (channel.readyState !== 'open' && channel.readyState !== 'closed') {$1await pEvent(channel, ['open', 'close'], { signal });",
  },
  {
    wait: /(log\.trace\('waiting for init channel to close'\);\s*)await pEvent\(channel, 'close', \{\s*signal\s*\}\);/,
    mended: "$1if (channel.readyState !== 'closed') await pEvent(channel, 'close', { signal });",
  },
];

/** `source` with both waits mended, or why it cannot be. */
export function mendInitChannelWaits(source: string): { contents: string } | { error: string } {
  let contents = source;
  for (const { wait, mended } of MENDS) {
    if (!wait.test(contents)) return { error: `no ${wait.source.slice(0, 40)}… to mend` };
    contents = contents.replace(wait, mended);
  }
  return { contents };
}

export function webrtcInitChannelPlugin(): Plugin {
  return {
    name: 'webrtc-init-channel',
    setup(build) {
      build.onLoad({ filter: FILE }, async (args) => {
        const mended = mendInitChannelWaits(await readFile(args.path, 'utf8'));
        if ('error' in mended) return { errors: [{ text: `${args.path}: ${mended.error}` }] };
        return { contents: mended.contents, loader: 'js' };
      });
    },
  };
}
