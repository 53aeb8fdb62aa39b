// A free TCP port, asked of the OS and released at once (tests' fixed ports,
// the relay's TURN server with `--turn-port 0`). Another process may take it
// in between; callers that cannot bind it fail loudly.
//
// The port is drawn below the OS's ephemeral range (Linux's
// ip_local_port_range, 32768-60999 by default): a port the OS hands out for
// `listen(0)` is also what any process's next outgoing connection may be given,
// and a test's server, which binds the port a moment later, once found it taken
// so (EADDRINUSE, under the unit suite's concurrent files). Below the range
// only another listener can take it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const TRIES = 32;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const below = ephemeralStart();
  for (let i = 0; i < TRIES && below > LOWEST; i++) {
    const port = await bound(host, LOWEST + Math.floor(Math.random() * (below - LOWEST)));
    if (port !== undefined) return port;
  }
  const port = await bound(host, 0);
  if (port === undefined) throw new Error('no port');
  return port;
}

/** Binds `port` on `host` and releases it: the port bound, or undefined if it was taken. */
async function bound(host: string, port: number): Promise<number | undefined> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('listening', () => resolve(true));
    server.once('error', () => resolve(false));
    server.listen(port, host);
  });
  const address = listening ? server.address() : null;
  if (listening) server.close();
  return address === null || typeof address === 'string' ? undefined : address.port;
}

/** The first port of the OS's ephemeral range (Linux), else IANA's 49152. */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 49_152;
  } catch {
    return 49_152;
  }
}
