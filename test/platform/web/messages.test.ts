import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  dispatchMessage,
  type ExtensionMessage,
  type HandlerMap,
  isExtensionMessage,
  MESSAGE_CHANNEL,
  RemoteError,
  sendRequest,
} from '../../../src/platform/web/messages.ts';

class NotAllowedHere extends Error {
  override readonly name = 'NotAllowedHere';
}

function handlers(): HandlerMap {
  const origins: string[] = [];
  return {
    approveOrigin: async ({ origin }) => {
      if (origin === 'bad') throw new NotAllowedHere('no');
      origins.push(origin);
      return { origins: [...origins] };
    },
    revokeOrigin: async () => ({ origins: [] }),
    listOrigins: async () => ({ origins: [...origins] }),
    status: async () => ({
      serverName: 'ab',
      homeserverUrl: 'https://x.invalid',
      approvedOrigins: [],
      accountCreationOrigins: [],
      openClientPorts: 0,
    }),
    // The popup's handlers have their own tests (test/background/popup-backend/popup-handlers.test.ts).
  } as Partial<HandlerMap> as HandlerMap;
}

const extensionPage = { id: 'ext', url: 'chrome-extension://ext/popup.html' };
const allowExtensionPages = (_type: string, sender: { url?: string }) =>
  sender.url?.startsWith('chrome-extension://ext/') ?? false;

/** The background's side of runtime.sendMessage, as seen from the popup. */
function backgroundFor(map: HandlerMap, sender = extensionPage) {
  return async (message: ExtensionMessage) => dispatchMessage(map, message, sender, allowExtensionPages);
}

describe('the message layer', () => {
  test('a request reaches its handler and its result comes back', async () => {
    const send = backgroundFor(handlers());
    assert.deepEqual(await sendRequest(send, 'approveOrigin', { origin: 'https://a.example' }), {
      origins: ['https://a.example'],
    });
    assert.deepEqual(await sendRequest(send, 'listOrigins', {}), { origins: ['https://a.example'] });
  });

  test('a handler error comes back with its name', async () => {
    const send = backgroundFor(handlers());
    await assert.rejects(sendRequest(send, 'approveOrigin', { origin: 'bad' }), {
      name: 'NotAllowedHere',
      message: 'no',
    });
  });

  test('a sender that is not an extension page is refused before any handler runs', async () => {
    const map = handlers();
    const send = backgroundFor(map, { id: 'ext', url: 'https://evil.example/' });
    await assert.rejects(sendRequest(send, 'approveOrigin', { origin: 'https://evil.example' }), {
      name: 'SenderRejectedError',
    });
    assert.deepEqual(await sendRequest(backgroundFor(map), 'listOrigins', {}), { origins: [] });
  });

  test('an unknown type is an error reply, and a reply to another request is refused', async () => {
    const reply = await dispatchMessage(
      handlers(),
      { channel: MESSAGE_CHANNEL, id: '1', type: 'toString', params: {} } as unknown as ExtensionMessage,
      extensionPage,
      allowExtensionPages,
    );
    assert.equal(reply.ok, false);
    const wrongId = async () => ({ channel: MESSAGE_CHANNEL, id: 'other', ok: true, result: {} });
    await assert.rejects(sendRequest(wrongId, 'listOrigins', {}), RemoteError);
  });

  test('only well-formed envelopes are taken as messages', () => {
    assert.equal(isExtensionMessage({ channel: MESSAGE_CHANNEL, id: 'a', type: 'status', params: {} }), true);
    assert.equal(isExtensionMessage({ channel: 'other', id: 'a', type: 'status', params: {} }), false);
    assert.equal(isExtensionMessage({ channel: MESSAGE_CHANNEL, id: 1, type: 'status', params: {} }), false);
    assert.equal(isExtensionMessage('status'), false);
  });
});
