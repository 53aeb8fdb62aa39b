// Two Chromiums with the extension and a relay, for the WebRTC-through-TURN
// test and bench (issue 17): `split` puts each browser in its own network
// namespace and the relay in a third (split-network.ts), so that the two
// browsers reach the relay but not each other; otherwise both browsers share
// one namespace and reach each other directly. A's node dials B's through
// the relay's circuit, as federation does for a peer it only knows there,
// and the WebRTC upgrade (webrtc-upgrade.ts) takes it from there.
import { multiaddr } from '@multiformats/multiaddr';
import { serverNameToPeerId } from '../../src/platform/libp2p/identity.ts';
import {
  CHROMIUM_PATH,
  type ExtensionBrowser,
  launchExtensionBrowser,
  removeProfile,
} from './extension-browser.ts';
import { dialPeer, useRelay } from './p2p-session.ts';
import { type RelayProcess, startRelayProcess } from './serve-process.ts';
import { createSplitNetwork, inNamespace, type SplitNetwork } from './split-network.ts';

export interface SplitPairOptions {
  /** Browsers that cannot reach each other (else one namespace for both). */
  readonly split: boolean;
  /** The relay serves TURN (else `--no-turn`: what a browser had before the fallback). */
  readonly turn: boolean;
}

export interface SplitPair {
  readonly relay: RelayProcess;
  readonly a: ExtensionBrowser;
  readonly b: ExtensionBrowser;
  readonly aServerName: string;
  readonly bServerName: string;
  /** A's node dials B's through the relay's circuit; resolves once that relayed connection is open. */
  meet(): Promise<void>;
  close(): Promise<void>;
}

export async function openSplitPair(options: SplitPairOptions): Promise<SplitPair> {
  const net: SplitNetwork = createSplitNetwork();
  const launchers = [
    inNamespace(net.aNs, CHROMIUM_PATH),
    inNamespace(options.split ? net.bNs : net.aNs, CHROMIUM_PATH),
  ];
  const browsers: ExtensionBrowser[] = [];
  let relay: RelayProcess | undefined;
  const close = async () => {
    for (const browser of browsers) {
      await browser.close();
      removeProfile(browser.profileDir);
    }
    await relay?.stop();
    for (const launcher of launchers) launcher.remove();
    net.close();
  };
  try {
    relay = await startRelayProcess(
      options.turn ? net.relayArgs : [...net.relayArgs, '--no-turn'],
      net.relayNs,
    );
    // The browsers resolve no host name, and map every literal but the ones excepted: the relay's too.
    const resolverRules = `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE ${net.relayHost}`;
    for (const launcher of launchers) {
      browsers.push(
        await launchExtensionBrowser({ executablePath: launcher.path, extraArgs: [resolverRules] }),
      );
    }
    const [a, b] = browsers as [ExtensionBrowser, ExtensionBrowser];
    const relayAddr = relay.multiaddrs[0]!;
    const [aServerName, bServerName] = [await useRelay(a, relayAddr), await useRelay(b, relayAddr)];
    const bPeer = serverNameToPeerId(bServerName)!.toString();
    const circuit = multiaddr(`${relayAddr}/p2p-circuit/p2p/${bPeer}`).toString();
    const dial = () => dialPeer(a, circuit);
    // B may not hold its reservation on the relay yet (the relay then refuses the circuit): dial again.
    const meet = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          return await dial();
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`hang guard: A could not reach B through the relay: ${err}`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };
    return { relay, a, b, aServerName, bServerName, meet, close };
  } catch (err) {
    await close();
    throw err;
  }
}
