// esbuild plugin that mends a race in @libp2p/webrtc's browser-to-browser
// dial (private-to-private/initiate-connection.js), which made about one
// first WebRTC connection in four or five fail between two browsers that had
// just met.
//
// The dialling side creates an `init` data channel so that the offer has
// something to negotiate; once connected it waits for that channel's `open`,
// closes it and waits for its `close`. The answering side's muxer closes an
// incoming `init` channel the moment it adopts it (muxer.ts onDataChannel).
// When that close reaches the dialling side before its channel was announced
// open, Chromium takes the channel through `closing` to `closed` without an
// `open` event, and the dial waited for one until libp2p's per-address
// timeout (6 s) ended it: the other browser already held a connection nothing
// answered on, federation stayed on the relay's circuit (1 MiB), and the next
// attempt came seconds later. Seen in `node bench/run.ts big-room-browsers`
// (trace logs of the dial: "wait for init channel to open", then nothing
// until "signal timed out"), where the join took 8.5-15.6 s instead of about
// 1.7 in 3 or 4 runs of 14.
//
// Mended: the wait for `open` also ends on `close` (then a connection that
// failed or closed meanwhile fails the dial, as a failed one does while
// connecting), and the wait for `close` is skipped when the channel is
// closed already. Each line is changed in place, so the library's source map
// still fits. The build fails if the library's code no longer reads as
// expected, or the file is no longer where it was (an upgrade changed
// either), rather than shipping the dial unmended or the mend misplaced.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const FILE =
  /[\\/]node_modules[\\/]@libp2p[\\/]webrtc[\\/]dist[\\/]src[\\/]private-to-private[\\/]initiate-connection\.js$/;

/** Each line as @libp2p/webrtc 6.0.33 writes it (once in the file), and what it becomes. */
const MENDS: readonly (readonly [line: string, mended: string])[] = [
  [
    "if (channel.readyState !== 'open') {",
    "if (channel.readyState !== 'open' && channel.readyState !== 'closed') {",
  ],
  ["await pEvent(channel, 'open', {", "await pEvent(channel, ['open', 'close'], {"],
  [
    "log.trace('closing init channel');",
    "if (['failed', 'closed'].includes(peerConnection.connectionState)) throw new SDPHandshakeFailedError('the connection ended before its init channel opened'); log.trace('closing init channel');",
  ],
  [
    "await pEvent(channel, 'close', {",
    "if (channel.readyState !== 'closed') await pEvent(channel, 'close', {",
  ],
];

/** `source` with every line of MENDS mended, or why it cannot be. */
export function mendInitChannelWaits(source: string): { contents: string } | { error: string } {
  let contents = source;
  for (const [line, mended] of MENDS) {
    const found = contents.split(line).length - 1;
    if (found !== 1) return { error: `expected one \`${line}\`, found ${found}` };
    contents = contents.replace(line, () => mended);
  }
  return { contents };
}

/** The installed file the browser builds bundle. */
export const initiateConnectionPath = (): string =>
  fileURLToPath(new URL('private-to-private/initiate-connection.js', import.meta.resolve('@libp2p/webrtc')));

export function webrtcInitChannelPlugin(): Plugin {
  return {
    name: 'webrtc-init-channel',
    setup(build) {
      // Every build checks the installed file, whether or not it bundles it:
      // one that moved would otherwise never reach onLoad, which then uses
      // what the check mended (another copy of the library is read there).
      let installed: { path: string; mended: ReturnType<typeof mendInitChannelWaits> } | undefined;
      build.onStart(async () => {
        const path = initiateConnectionPath();
        const mended = mendInitChannelWaits(await readFile(path, 'utf8').catch(() => ''));
        installed = { path, mended };
        return 'error' in mended ? { errors: [{ text: `${path}: ${mended.error}` }] } : undefined;
      });
      build.onLoad({ filter: FILE }, async (args) => {
        const mended =
          installed?.path === args.path
            ? installed.mended
            : mendInitChannelWaits(await readFile(args.path, 'utf8'));
        if ('error' in mended) return { errors: [{ text: `${args.path}: ${mended.error}` }] };
        return { contents: mended.contents, loader: 'js' };
      });
    },
  };
}
