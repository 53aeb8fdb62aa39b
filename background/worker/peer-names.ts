// The names peers give themselves (src/core/federation/node-name.ts), asked
// of each peer once it is connected and remembered for the popup's peer list.
// A peer that answers without a name, or not at all, is asked again only
// after a while or when it connects again, so an open popup costs no traffic.
import { BoundedCache, nodeNameFromVersion } from '../../src/core/public.ts';

/** How long an answer (or a failure to answer) stands before the peer is asked again. */
export const NAME_TTL_MS = 5 * 60_000;
/** Peers whose names are kept; one forgotten is simply asked again. */
const MAX_REMEMBERED = 1_000;

export interface PeerNamesDeps {
  /** The body of the peer's GET /_matrix/federation/v1/version answer; throws when it cannot be had. */
  readonly version: (serverName: string) => Promise<unknown>;
  /** A name arrived or changed: the popup's picture is out of date. */
  readonly changed: () => void;
  readonly now?: () => number;
}

export interface PeerNames {
  /** The name the peer gave, if known; asks it (in the background) when it is not known or is old. */
  nameOf(serverName: string): string | undefined;
  /** The peer (re)connected: its name may have changed meanwhile. */
  forget(serverName: string): void;
}

export function createPeerNames(deps: PeerNamesDeps): PeerNames {
  const now = deps.now ?? Date.now;
  const known = new BoundedCache<string, { readonly name: string | undefined; readonly at: number }>(
    MAX_REMEMBERED,
  );
  const asking = new Set<string>();

  const ask = (serverName: string) => {
    asking.add(serverName);
    deps
      .version(serverName)
      .then(nodeNameFromVersion, () => undefined)
      .then((name) => {
        const before = known.get(serverName)?.name;
        known.set(serverName, { name, at: now() });
        if (name !== before) deps.changed();
      })
      .finally(() => asking.delete(serverName));
  };

  return {
    nameOf(serverName) {
      const entry = known.get(serverName);
      if (!asking.has(serverName) && (!entry || now() - entry.at >= NAME_TTL_MS)) ask(serverName);
      return entry?.name;
    },
    forget(serverName) {
      const entry = known.get(serverName);
      // Keep showing the old name until the new answer arrives; only its age changes.
      if (entry) known.set(serverName, { name: entry.name, at: Number.NEGATIVE_INFINITY });
    },
  };
}
