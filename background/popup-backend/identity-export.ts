// A backup of the server's identity: the ed25519 seed its server name and
// every signature it made come from (src/core/identity.ts). Whoever holds the
// file can act as this server, so the popup shows a warning before handing
// it out, and nothing else ever reads it out of the database.
import type { ServerIdentity } from '../../src/core/public.ts';
import { encodeBase64 } from '../../src/core/protocol.ts';
import type { IdentityExport } from '../../src/platform/web/popup-messages.ts';

export const IDENTITY_FILE_TYPE = 'p2p-matrix.identity';

export function identityFile(identity: ServerIdentity, now: Date): IdentityExport {
  const contents = {
    type: IDENTITY_FILE_TYPE,
    version: 1,
    warning: 'This is the private key of your p2p-matrix server. Anyone who has it can act as your server.',
    server_name: identity.serverName,
    ed25519_seed: encodeBase64(identity.seed),
    exported_at: now.toISOString(),
  };
  return {
    serverName: identity.serverName,
    fileName: `p2p-matrix-identity-${identity.serverName.slice(0, 12)}.json`,
    contents: `${JSON.stringify(contents, null, 2)}\n`,
  };
}
