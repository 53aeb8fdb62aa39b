import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { h } from 'preact';
import { Storage } from '../../popup/components/storage.ts';
import { deferred, fakeBrowser, fakeClient, named, SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

/** The value shown for a term of the storage list. */
function shownFor(term: string): string {
  return screen.getByText(term, { selector: 'dt' }).nextElementSibling?.textContent ?? '';
}

describe('the storage view', () => {
  test('while measuring, says so', () => {
    const never = deferred<never>().promise;
    const browser = fakeBrowser({ storageEstimate: () => never, storagePersisted: () => never });
    render(h(Storage, { client: fakeClient(), browser }));
    assert.equal(shownFor('Space used'), 'Measuring…');
    assert.equal(shownFor('Kept when space runs low'), 'Checking…');
  });

  test('shows the space used and asks for persistence', async () => {
    const browser = fakeBrowser();
    render(h(Storage, { client: fakeClient(), browser }));
    await waitFor(() => assert.equal(shownFor('Space used'), '1.3 MB of 2.0 GB available'));
    assert.equal(shownFor('Kept when space runs low'), 'No, the browser may clear it');
    fireEvent.click(screen.getByRole('button', { name: 'Ask the browser to keep this data' }));
    await waitFor(() =>
      assert.equal(shownFor('Kept when space runs low'), 'Yes (persistent storage granted)'),
    );
  });

  test('when the browser declines persistence, says it decides by itself', async () => {
    const browser = fakeBrowser({ requestPersist: async () => false });
    render(h(Storage, { client: fakeClient(), browser }));
    const ask = screen.getByRole('button', { name: 'Ask the browser to keep this data' });
    await waitFor(() => assert.equal((ask as HTMLButtonElement).disabled, false));
    fireEvent.click(ask);
    await screen.findByText(/The browser declined/);
  });

  test('a failed estimate is shown in words', async () => {
    const browser = fakeBrowser({
      storageEstimate: async () => {
        throw new Error('The storage API is not available here.');
      },
    });
    render(h(Storage, { client: fakeClient(), browser }));
    await screen.findByText('The storage API is not available here.');
  });

  test('exports the identity key only after the warning is acknowledged', async () => {
    const browser = fakeBrowser();
    const file = { serverName: SERVER_NAME, fileName: 'p2p-matrix-identity-a1b2.json', contents: '{"k":1}' };
    const client = fakeClient({ exportIdentityKey: async () => file });
    render(h(Storage, { client, browser }));
    assert.match(screen.getByText(/^Warning:/).textContent ?? '', /Anyone who has it can act as your server/);
    const exportButton = screen.getByRole('button', { name: 'Export identity key' }) as HTMLButtonElement;
    assert.equal(exportButton.disabled, true);
    fireEvent.click(screen.getByLabelText('I understand the risk'));
    assert.equal(exportButton.disabled, false);
    fireEvent.click(exportButton);
    await screen.findByText(/^Saved as p2p-matrix-identity-a1b2\.json/);
    assert.deepEqual(browser.saved, [{ fileName: file.fileName, contents: file.contents }]);
  });

  test('a failed export is shown in words', async () => {
    const client = fakeClient({
      exportIdentityKey: async () => {
        throw named('ProtocolError', 'no reply to exportIdentityKey');
      },
    });
    render(h(Storage, { client, browser: fakeBrowser() }));
    fireEvent.click(screen.getByLabelText('I understand the risk'));
    fireEvent.click(screen.getByRole('button', { name: 'Export identity key' }));
    await screen.findByText('The background did not answer. It may be restarting: try again in a moment.');
  });

  test("shows media usage and clears the cache of other peers' media", async () => {
    let remote = { files: 3, bytes: 3_500_000 };
    const usage = () => ({ local: { files: 1, bytes: 2048 }, remote, thumbnails: { files: 2, bytes: 9000 } });
    const client = fakeClient({
      mediaUsage: async () => usage(),
      clearRemoteMedia: async () => {
        remote = { files: 0, bytes: 0 };
        return usage();
      },
    });
    render(h(Storage, { client, browser: fakeBrowser() }));
    await waitFor(() => assert.equal(shownFor("Other peers' media (cache)"), '3 files, 3.5 MB'));
    assert.equal(shownFor('Your uploads'), '1 file, 2.0 KB');
    const clear = screen.getByRole('button', { name: "Clear other peers' media" }) as HTMLButtonElement;
    fireEvent.click(clear);
    await screen.findByText('Cleared 3 files, 3.5 MB.');
    assert.equal(shownFor("Other peers' media (cache)"), '0 files, 0 bytes');
    assert.equal(clear.disabled, true);
  });
});
