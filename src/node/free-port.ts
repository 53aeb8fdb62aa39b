// A free TCP port, asked of the OS and released at once (tests' fixed ports,
// the relay's TURN server with `--turn-port 0`). Another process may take it
// in between; callers that cannot bind it fail loudly.
import { once } from 'node:events';
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
