// `p2p-matrix` command line: `serve` runs the homeserver over HTTP, `relay`
// the libp2p relay peers meet through.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bootstrapIdentity,
  createHomeserver,
  type Homeserver,
  type Logger,
  memoryBlobStore,
  type OwnerSettingsChange,
  type RegistrationMode,
  SCHEMA,
} from '../core/public.ts';
import { chooseEd25519 } from '../platform/ed25519.ts';
import { webCryptoPbkdf2 } from '../platform/pbkdf2.ts';
import { systemRandomBytes as randomBytes } from '../platform/system-random.ts';
import { multiaddr } from '@multiformats/multiaddr';
import { turnFromRelays } from '../platform/libp2p/turn-client.ts';
import { startHttpServer } from './http-server.ts';
import { useNodeSha256 } from './node-sha256.ts';
import { DEFAULT_LISTEN } from './p2p/create-libp2p-transport.ts';
import { isMultiaddr, startServeNetwork } from './p2p/serve-network.ts';
import { sharpThumbnailer } from './media/sharp-thumbnailer.ts';
import { openFileBlobStore } from './storage/file-blob-store.ts';
import { openSqliteStore } from './storage/sqlite-store.ts';
import { systemClock } from '../platform/system-clock.ts';

const USAGE = `Usage:
  p2p-matrix serve [options]   run a Matrix homeserver for local clients (Element, matrix-js-sdk...)
  p2p-matrix relay [options]   run a libp2p relay that peers reach each other through

serve options:
  --port <n>             TCP port to listen on (default 8008; 0 picks a free one)
  --host <address>       address to listen on (default 127.0.0.1)
  --data <dir>           keep everything in <dir>/homeserver.sqlite, media in <dir>/media (default: in memory, lost on exit)
  --max-upload <MiB>     the largest media upload (default 50)
  --media-quota <MiB>    what one user may upload in all (default 1024)
  --registration <mode>  open | token:<secret> | closed (default: open on loopback, closed elsewhere)
  --name <name>          a name for this node, which peers show beside its key
  --support <contact>    published at /.well-known/matrix/support: a Matrix ID, an email address
                         or an https:// page (repeatable; kept in the store until given again)
  --token-lifetime <min> lifetime of access tokens issued with a refresh token (default 5; kept)
  --relay <multiaddr>    join the network through this relay (repeatable)
  --peer <multiaddr>     connect to this peer (repeatable); peers are remembered in <data>/known-peers.json
  --listen <multiaddr>   libp2p listen address (repeatable; default ${DEFAULT_LISTEN})
  -h, --help             show this help

When ready, serve prints a line p2p <multiaddr> per libp2p address, then
homeserver <url> server_name <hex>
relay options:
  --port <n>             TCP port to listen on (default 9090; 0 picks a free one)
  --host <address>       address to listen on (default 127.0.0.1)
  --key-file <path>      keep the relay's key in <path> so its address stays the same
  --turn-port <n>        serve TURN (coturn) on this UDP/TCP port (default 3478; 0 picks a free one)
  --turn-host <address>  the address TURN listens on and clients reach (default: --host)
  --no-turn              no TURN server (calls that cannot go direct then fail)
  --turn-allow-peers <a> relay to these peer addresses although private (an address or <first>-<last>;
                         repeatable): a relay on the private network its peers share
  -h, --help             show this help
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The owner's settings the extension's popup sets (Homeserver.settings):
 * given flags replace what the store holds, absent ones leave it.
 */
async function applyOwnerSettings(
  homeserver: Homeserver,
  support: readonly string[],
  lifetime: string | undefined,
): Promise<void> {
  const change: OwnerSettingsChange = {
    ...(lifetime !== undefined && { accessTokenLifetimeMs: Number(lifetime) * 60_000 }),
    ...(support.length > 0 && {
      support: {
        ...(support.some((c) => !c.startsWith('https://')) && {
          contacts: support
            .filter((c) => !c.startsWith('https://'))
            .map((c) => ({
              role: 'm.role.admin' as const,
              ...(c.startsWith('@') ? { matrix_id: c } : { email_address: c }),
            })),
        }),
        ...(support.some((c) => c.startsWith('https://')) && {
          support_page: support.find((c) => c.startsWith('https://'))!,
        }),
      },
    }),
  };
  if (Object.keys(change).length === 0) return;
  try {
    await homeserver.settings.update(change);
  } catch (err) {
    throw new UsageError(
      `--support or --token-lifetime: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Warnings and errors go to stderr as one JSON line each; stdout is for the ready line. */
const stderrLogger: Logger = {
  debug() {},
  info() {},
  warn: (msg, fields) => console.error(JSON.stringify({ level: 'warn', msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: 'error', msg, ...fields })),
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function registrationMode(value: string | undefined, host: string): RegistrationMode {
  if (value === undefined) return LOOPBACK.has(host) ? 'open' : 'closed';
  if (value === 'open' || value === 'closed') return value;
  if (value.startsWith('token:') && value.length > 'token:'.length)
    return { token: value.slice('token:'.length) };
  throw new UsageError(`--registration must be open, token:<secret> or closed, not ${JSON.stringify(value)}`);
}

function multiaddrsOf(flag: string, values: readonly string[]): string[] {
  const bad = values.find((value) => !isMultiaddr(value));
  if (bad !== undefined) throw new UsageError(`${flag} ${JSON.stringify(bad)} is not a multiaddr`);
  return [...values];
}

function mebibytes(flag: string, value: string): number {
  if (!/^\d{1,7}$/.test(value) || Number(value) === 0)
    throw new UsageError(`${flag} must be a positive number of MiB`);
  return Number(value) * 1024 * 1024;
}

function portOf(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port must be 0 to 65535, not ${value}`);
  return port;
}

async function serve(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', default: '8008' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      registration: { type: 'string' },
      name: { type: 'string' },
      support: { type: 'string', multiple: true, default: [] },
      'token-lifetime': { type: 'string' },
      relay: { type: 'string', multiple: true, default: [] },
      peer: { type: 'string', multiple: true, default: [] },
      listen: { type: 'string', multiple: true, default: [] },
      'max-upload': { type: 'string', default: '50' },
      'media-quota': { type: 'string', default: '1024' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = portOf(values.port);
  const registration = registrationMode(values.registration, values.host);
  const network = {
    listen: multiaddrsOf('--listen', values.listen),
    relays: multiaddrsOf('--relay', values.relay),
    peers: multiaddrsOf('--peer', values.peer),
  };
  if (values.data !== undefined) mkdirSync(values.data, { recursive: true });
  const path = values.data === undefined ? ':memory:' : join(values.data, 'homeserver.sqlite');
  // No row cache (storage/homeserver-store.ts): SQLite runs in this process, and a
  // get costs about what the cache's copy would.
  const store = await openSqliteStore(path, SCHEMA);
  const blobs =
    values.data === undefined ? memoryBlobStore() : await openFileBlobStore(join(values.data, 'media'));
  const mediaConfig = {
    maxUploadBytes: mebibytes('--max-upload', values['max-upload']),
    userQuotaBytes: mebibytes('--media-quota', values['media-quota']),
  };
  useNodeSha256();
  const ed25519 = await chooseEd25519();
  const identity = await bootstrapIdentity(store, randomBytes, ed25519);
  const transport = await startServeNetwork({
    ...network,
    seed: identity.seed,
    logger: stderrLogger,
    ...(values.data !== undefined && { dataDir: values.data }),
  });
  const homeserver = createHomeserver({
    transport,
    store,
    clock: systemClock,
    randomBytes,
    ed25519,
    pbkdf2: webCryptoPbkdf2,
    logger: stderrLogger,
    serverName: identity.serverName,
    signingSeed: identity.seed,
    config: { registration },
    nodeName: async () => values.name,
    media: { blobs, thumbnailer: sharpThumbnailer, config: mediaConfig },
    turn: turnFromRelays(
      transport.libp2p,
      network.relays.map((addr) => multiaddr(addr)),
      stderrLogger,
    ),
  });
  await applyOwnerSettings(homeserver, values.support, values['token-lifetime']);
  await homeserver.media.sweepOrphans();
  const http = await startHttpServer((req) => homeserver.handle(req), {
    host: values.host,
    port,
    logger: stderrLogger,
  });
  for (const addr of transport.multiaddrs()) console.log(`p2p ${addr}`);
  console.log(`homeserver ${http.url} server_name ${identity.serverName}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await http.close();
    await homeserver.close();
    await transport.close();
    await store.close();
    await blobs.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function relay(args: readonly string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const { runRelay } = await import('./relay.ts');
  await runRelay(args);
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    if (command === undefined) process.exitCode = 2;
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'relay') return relay(rest);
  throw new UsageError(`unknown command ${command}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof UsageError || (err instanceof TypeError && 'code' in err);
  console.error(`p2p-matrix: ${err instanceof Error ? err.message : String(err)}`);
  if (usage) console.error('Run `p2p-matrix --help` for usage.');
  process.exit(usage ? 2 : 1);
});
