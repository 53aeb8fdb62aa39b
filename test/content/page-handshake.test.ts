// The handshake between the MAIN-world shim and the isolated script, in
// either order: Firefox runs each registered content script when its own
// compilation is done, so the shim may post its channel before the isolated
// script listens (every request of the page then hung: Element's first
// /versions timed out). The real ends of both scripts, on a fake window
// whose postMessage is dispatched as a task, as in a browser.
import assert from 'node:assert/strict';
import { setImmediate as nextTask } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { ShimMessage } from '../../src/platform/web/client-wire.ts';
import { HOMESERVER_ORIGIN } from '../../src/platform/web/homeserver-url.ts';
import { installFakePage } from './fake-page.ts';

const { openPageChannel } = await import('../../content/shim/page-channel.ts');
const { acceptPageChannel } = await import('../../content/bridge/page-handshake.ts');

const VERSIONS = {
  method: 'GET',
  url: `${HOMESERVER_ORIGIN}/_matrix/client/versions`,
  headers: {},
  body: null,
};

/** The real isolated end: every port it is handed, and the requests on them. */
function startIsolated() {
  const ports: MessagePort[] = [];
  const requests: ShimMessage[] = [];
  acceptPageChannel((port) => {
    ports.push(port);
    port.onmessage = (event: MessageEvent<ShimMessage>) => {
      requests.push(event.data);
      const bytes = new TextEncoder().encode('{"versions":["v1.11"]}').buffer;
      port.postMessage({ type: 'whole', id: event.data.id, status: 200, headers: {}, bytes }, [bytes]);
    };
  });
  const close = () => {
    for (const port of ports) port.close();
  };
  return { ports, requests, close };
}

async function answered(channel: ReturnType<typeof openPageChannel>): Promise<number> {
  const res = await channel.request(VERSIONS);
  await new Response(res.body).arrayBuffer();
  return res.status;
}

describe('the page channel handshake', { timeout: 10_000 }, () => {
  test('the shim first, its channel posted before the isolated script listens: a new one is taken', async () => {
    installFakePage({ bridge: false });
    const channel = openPageChannel();
    const early = answered(channel);
    await nextTask();
    await nextTask(); // the first offer went out to nobody
    const isolated = startIsolated();
    assert.equal(await early, 200, 'the request made before the handshake is answered');
    assert.equal(await answered(channel), 200);
    assert.equal(isolated.ports.length, 1);
    assert.equal(isolated.requests.length, 2);
    isolated.close();
  });

  test('the isolated script first: it takes the shim’s first channel', async () => {
    installFakePage({ bridge: false });
    const isolated = startIsolated();
    await nextTask(); // its announcement went out to nobody
    const channel = openPageChannel();
    assert.equal(await answered(channel), 200);
    assert.equal(isolated.ports.length, 1);
    isolated.close();
  });

  test('both in the same task, either order: one channel, every request on it', async () => {
    for (const shimFirst of [true, false]) {
      installFakePage({ bridge: false });
      let channel: ReturnType<typeof openPageChannel>;
      let isolated: ReturnType<typeof startIsolated>;
      if (shimFirst) {
        channel = openPageChannel();
        isolated = startIsolated();
      } else {
        isolated = startIsolated();
        channel = openPageChannel();
      }
      assert.deepEqual(await Promise.all([answered(channel), answered(channel)]), [200, 200]);
      await nextTask();
      assert.equal(isolated.ports.length, 1);
      assert.equal(isolated.requests.length, 2);
      isolated.close();
    }
  });
});
