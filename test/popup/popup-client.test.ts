import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Connection, connectPopupClient, type RuntimeLike } from '../../popup/popup-client.ts';
import { dispatchMessage, type HandlerMap } from '../../src/platform/web/messages.ts';
import { POPUP_PORT_NAME } from '../../src/platform/web/popup-messages.ts';
import { popupState } from './support/fakes.ts';

/** A runtime whose ports the test drives, as the background would. */
function fakeRuntime(handlers: Partial<HandlerMap> = {}) {
  const ports: { name: string; message: (m: unknown) => void; disconnect: () => void }[] = [];
  const runtime: RuntimeLike = {
    sendMessage: (message) =>
      dispatchMessage(
        handlers as HandlerMap,
        message,
        { id: 'ext', url: 'chrome-extension://ext/popup.html' },
        () => true,
      ),
    connect({ name }) {
      const onMessage: ((m: unknown) => void)[] = [];
      const onDisconnect: (() => void)[] = [];
      ports.push({
        name,
        message: (m) => {
          for (const listener of onMessage) listener(m);
        },
        disconnect: () => {
          for (const listener of onDisconnect) listener();
        },
      });
      return {
        onMessage: { addListener: (l) => void onMessage.push(l) },
        onDisconnect: { addListener: (l) => void onDisconnect.push(l) },
        disconnect: () => {},
      };
    },
  };
  return { runtime, ports };
}

function nextConnection(client: ReturnType<typeof connectPopupClient>, skip = 0): Promise<Connection> {
  return new Promise((resolve) => {
    let seen = -1;
    const stop = client.subscribe((c) => {
      if (++seen > skip) {
        stop();
        resolve(c);
      }
    });
  });
}

describe('the popup client', () => {
  test('opens the popup port and passes on every pushed state', async () => {
    const { runtime, ports } = fakeRuntime();
    const client = connectPopupClient(runtime);
    assert.deepEqual(
      ports.map((p) => p.name),
      [POPUP_PORT_NAME],
    );
    const update = nextConnection(client);
    ports[0]!.message({ type: 'state', state: popupState() });
    assert.deepEqual(await update, { connected: true, state: popupState() });
  });

  test('ignores messages that are not states', async () => {
    const { runtime, ports } = fakeRuntime();
    const client = connectPopupClient(runtime);
    const seen: Connection[] = [];
    client.subscribe((c) => seen.push(c));
    ports[0]!.message({ type: 'something else' });
    ports[0]!.message('state');
    assert.deepEqual(seen, [{ connected: false, state: undefined }]);
  });

  test('when the port drops, reports it and connects again (which starts the worker again)', async () => {
    const { runtime, ports } = fakeRuntime();
    const client = connectPopupClient(runtime);
    ports[0]!.message({ type: 'state', state: popupState() });
    const dropped = nextConnection(client);
    ports[0]!.disconnect();
    assert.deepEqual(await dropped, { connected: false, state: popupState() });
    while (ports.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ports[1]!.name, POPUP_PORT_NAME);
    const back = nextConnection(client);
    ports[1]!.message({ type: 'state', state: popupState({ origins: ['https://a.example'] }) });
    assert.deepEqual((await back).state?.origins, ['https://a.example']);
  });

  test('requests go through the message layer and come back typed', async () => {
    const { runtime } = fakeRuntime({ listOrigins: async () => ({ origins: ['https://a.example'] }) });
    const client = connectPopupClient(runtime);
    assert.deepEqual(await client.request('listOrigins', {}), { origins: ['https://a.example'] });
    await assert.rejects(client.request('reconnect', {}), {
      name: 'TypeError',
      message: 'unknown message type reconnect',
    });
  });
});
