// Checks a multiaddr a person typed (a peer or a relay to add) and says in
// words what is wrong with it. Both the popup (to answer at once) and the
// background (which trusts no message) run it. It knows the protocols a
// browser node can use; it is not a full multiaddr parser, and the libp2p
// node still parses what passes.

/** The text is not a multiaddr this extension can dial; the message says why. */
export class InvalidMultiaddrError extends Error {
  override readonly name = 'InvalidMultiaddrError';
}

/** Protocols that take a value, with a check of that value (null: any non-empty value). */
const VALUED: Record<string, ((value: string) => boolean) | null> = {
  ip4: isIpv4,
  ip6: (v) => /^[0-9a-f:.]+$/i.test(v) && v.includes(':'),
  dns: isHostName,
  dns4: isHostName,
  dns6: isHostName,
  dnsaddr: isHostName,
  tcp: isPort,
  udp: isPort,
  p2p: isPeerId,
  certhash: (v) => /^[a-zA-Z0-9_-]+$/.test(v),
  sni: isHostName,
};

const BARE = new Set([
  'ws',
  'wss',
  'tls',
  'http',
  'https',
  'p2p-circuit',
  'webrtc',
  'webrtc-direct',
  'quic',
  'quic-v1',
  'webtransport',
]);

/** What a browser can open: websockets, WebTransport, or WebRTC (direct, or signalled through a relay). */
const BROWSER_TRANSPORTS = ['ws', 'wss', 'webtransport', 'webrtc', 'webrtc-direct', 'p2p-circuit'];

interface Part {
  readonly name: string;
  readonly value?: string;
}

/** Splits `/ip4/1.2.3.4/tcp/1/ws` into its protocols, checking each value. */
function parts(text: string): Part[] {
  if (!text.startsWith('/')) throw new InvalidMultiaddrError('A multiaddr starts with "/", like /dns4/…');
  const tokens = text.slice(1).split('/');
  const out: Part[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i]!;
    if (name === '')
      throw new InvalidMultiaddrError('A multiaddr has no empty parts ("//" or a trailing "/")');
    if (BARE.has(name)) {
      out.push({ name });
      continue;
    }
    const check = VALUED[name === 'ipfs' ? 'p2p' : name];
    if (check === undefined)
      throw new InvalidMultiaddrError(`"${name}" is not a protocol this extension knows`);
    const value = tokens[++i];
    if (value === undefined || value === '')
      throw new InvalidMultiaddrError(`/${name} needs a value after it`);
    if (check !== null && !check(value))
      throw new InvalidMultiaddrError(`"${value}" is not a valid /${name} value`);
    out.push({ name: name === 'ipfs' ? 'p2p' : name, value });
  }
  return out;
}

/** A trimmed multiaddr a browser can dial, or InvalidMultiaddrError saying why not. */
export function checkMultiaddr(input: string): string {
  const text = input.trim();
  if (text === '')
    throw new InvalidMultiaddrError('Enter a multiaddr, like /dns4/relay.example/tcp/443/wss/p2p/12D3…');
  const found = parts(text);
  if (!found.some((p) => BROWSER_TRANSPORTS.includes(p.name))) {
    throw new InvalidMultiaddrError(
      'A browser can only connect through /ws, /wss, /webtransport or WebRTC; this address has none of them',
    );
  }
  if (found.at(-1)?.name !== 'p2p') {
    throw new InvalidMultiaddrError(
      'The address must end with /p2p/<peer id>, so the peer can prove who it is',
    );
  }
  return text;
}

/** A relay's address: dialable, ending in the relay's own /p2p id, and not itself relayed. */
export function checkRelayMultiaddr(input: string): string {
  const text = checkMultiaddr(input);
  if (text.includes('/p2p-circuit')) {
    throw new InvalidMultiaddrError('A relay is reached directly: its address cannot contain /p2p-circuit');
  }
  return text;
}

function isIpv4(value: string): boolean {
  const octets = value.split('.');
  return octets.length === 4 && octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255);
}

function isPort(value: string): boolean {
  return /^(0|[1-9]\d{0,4})$/.test(value) && Number(value) <= 65535;
}

function isHostName(value: string): boolean {
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i.test(
    value,
  );
}

/** A peer id: base58btc (Ed25519 `12D3Koo…`, RSA `Qm…`) or a CIDv1 in base32 (`b…`). */
function isPeerId(value: string): boolean {
  return /^(12D3Koo|16Uiu2|Qm)[1-9A-HJ-NP-Za-km-z]{30,60}$/.test(value) || /^b[a-z2-7]{50,70}$/.test(value);
}
