import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { Sites } from '../../popup/components/sites.ts';
import { descriptionOf, fakeBrowser, fakeClient, named } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const approving = (origins: string[]) =>
  fakeClient({
    approveOrigin: async ({ origin }) => ({ origins: [...origins, origin] }),
    revokeOrigin: async ({ origin }) => ({ origins: origins.filter((o) => o !== origin) }),
  });

describe('the sites view', () => {
  test('loading, then empty', () => {
    const { rerender } = render(
      h(Sites, { origins: undefined, client: fakeClient(), browser: fakeBrowser() }),
    );
    assert.ok(screen.getByText('Loading sites…'));
    rerender(h(Sites, { origins: [], client: fakeClient(), browser: fakeBrowser() }));
    assert.ok(screen.getByText('No sites approved yet.'));
  });

  test("approves the current tab's site: the browser's permission first, then the background", async () => {
    const browser = fakeBrowser({ currentTabOrigin: async () => 'https://app.element.io' });
    const client = approving([]);
    render(h(Sites, { origins: [], client, browser }));
    const approve = await screen.findByRole('button', { name: 'Approve this site' });
    await waitFor(() => assert.equal((approve as HTMLButtonElement).disabled, false));
    fireEvent.click(approve);
    await waitFor(() =>
      assert.deepEqual(client.sent, [
        { type: 'approveOrigin', params: { origin: 'https://app.element.io' } },
      ]),
    );
    assert.deepEqual(browser.permissionsAsked, ['https://app.element.io']);
  });

  test('approves a typed origin in its canonical form', async () => {
    const browser = fakeBrowser();
    const client = approving([]);
    render(h(Sites, { origins: [], client, browser }));
    fireEvent.input(screen.getByLabelText('Site origin'), {
      target: { value: ' HTTPS://Chat.Example:443 ' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      assert.deepEqual(client.sent, [{ type: 'approveOrigin', params: { origin: 'https://chat.example' } }]),
    );
  });

  test('an origin with a path is refused, in words, before the browser is asked', () => {
    const browser = fakeBrowser();
    render(h(Sites, { origins: [], client: fakeClient(), browser }));
    const input = screen.getByLabelText('Site origin');
    fireEvent.input(input, { target: { value: 'https://chat.example/app' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    assert.match(descriptionOf(input), /an origin has no path/);
    assert.deepEqual(browser.permissionsAsked, []);
  });

  test('when the browser refuses access, nothing is approved and the user is told', async () => {
    const browser = fakeBrowser({ requestHostPermission: async () => false });
    const client = approving([]);
    render(h(Sites, { origins: [], client, browser }));
    const input = screen.getByLabelText('Site origin');
    fireEvent.input(input, { target: { value: 'https://chat.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      assert.equal(
        descriptionOf(input),
        'The browser did not give access to https://chat.example, so it was not approved.',
      ),
    );
    assert.deepEqual(client.sent, []);
  });

  test("the background's refusal is shown in words", async () => {
    const client = fakeClient({
      approveOrigin: async () => {
        throw named('PermissionRequiredError', 'the browser has not granted access to https://chat.example');
      },
    });
    render(h(Sites, { origins: [], client, browser: fakeBrowser() }));
    const input = screen.getByLabelText('Site origin');
    fireEvent.input(input, { target: { value: 'https://chat.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      assert.equal(descriptionOf(input), 'The browser has not given the extension access to that site.'),
    );
  });

  test('lists approved sites and revokes one', async () => {
    const client = approving(['https://a.example', 'http://127.0.0.1:8080']);
    render(
      h(Sites, { origins: ['https://a.example', 'http://127.0.0.1:8080'], client, browser: fakeBrowser() }),
    );
    const list = within(screen.getByRole('list', { name: 'Approved sites' }));
    assert.equal(list.getAllByRole('listitem').length, 2);
    fireEvent.click(list.getByRole('button', { name: 'Revoke https://a.example' }));
    await waitFor(() =>
      assert.deepEqual(client.sent, [{ type: 'revokeOrigin', params: { origin: 'https://a.example' } }]),
    );
  });

  test('account creation is off until ticked for a site, and each site has its own box', async () => {
    const client = fakeClient({
      setAccountCreation: async ({ origin, allowed }) => ({ accountCreation: allowed ? [origin] : [] }),
    });
    const origins = ['https://a.example', 'https://b.example'];
    const { rerender } = render(h(Sites, { origins, accountCreation: [], client, browser: fakeBrowser() }));
    const boxA = screen.getByRole('checkbox', { name: 'Let https://a.example create accounts' });
    const boxB = screen.getByRole('checkbox', { name: 'Let https://b.example create accounts' });
    assert.equal((boxA as HTMLInputElement).checked, false);
    assert.equal((boxB as HTMLInputElement).checked, false);
    fireEvent.click(boxB);
    await waitFor(() =>
      assert.deepEqual(client.sent, [
        { type: 'setAccountCreation', params: { origin: 'https://b.example', allowed: true } },
      ]),
    );
    // The background's state comes back through the popup state.
    rerender(h(Sites, { origins, accountCreation: ['https://b.example'], client, browser: fakeBrowser() }));
    assert.equal((boxB as HTMLInputElement).checked, true);
    fireEvent.click(boxB);
    await waitFor(() =>
      assert.deepEqual(client.sent.at(-1), {
        type: 'setAccountCreation',
        params: { origin: 'https://b.example', allowed: false },
      }),
    );
  });

  test('an already approved current tab is shown as approved', async () => {
    const browser = fakeBrowser({ currentTabOrigin: async () => 'https://a.example' });
    render(h(Sites, { origins: ['https://a.example'], client: fakeClient(), browser }));
    const button = await screen.findByRole('button', { name: 'Approved' });
    assert.equal((button as HTMLButtonElement).disabled, true);
  });
});
