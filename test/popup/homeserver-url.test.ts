import { closeDom } from './support/dom.ts';
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { h } from 'preact';
import { HomeserverUrl } from '../../popup/components/homeserver-url.ts';
import { SERVER_NAME } from './support/fakes.ts';

afterEach(cleanup);
after(closeDom);

const url = 'https://p2p-matrix.invalid';

describe('the homeserver URL', () => {
  test('while the homeserver starts, the copy button waits', () => {
    render(h(HomeserverUrl, { homeserver: { state: 'starting' }, copy: async () => {} }));
    assert.equal(
      (screen.getByRole('textbox', { name: 'Homeserver URL' }) as HTMLInputElement).value,
      'Starting…',
    );
    assert.equal(
      (screen.getByRole('button', { name: 'Copy homeserver URL' }) as HTMLButtonElement).disabled,
      true,
    );
  });

  test('shows the URL, copies it, and says where to paste it', async () => {
    const copied: string[] = [];
    const copy = async (text: string) => {
      copied.push(text);
    };
    render(h(HomeserverUrl, { homeserver: { state: 'ready', serverName: SERVER_NAME, url }, copy }));
    const input = screen.getByRole('textbox', { name: 'Homeserver URL' }) as HTMLInputElement;
    assert.equal(input.value, url);
    assert.ok(screen.getByText('In Element: Sign in → Edit homeserver → paste'));
    fireEvent.click(screen.getByRole('button', { name: 'Copy homeserver URL' }));
    await screen.findByText('Copied');
    assert.deepEqual(copied, [url]);
  });

  test('when the clipboard refuses, says to copy by hand', async () => {
    const copy = async () => {
      throw new Error('Document is not focused.');
    };
    render(h(HomeserverUrl, { homeserver: { state: 'ready', serverName: SERVER_NAME, url }, copy }));
    fireEvent.click(screen.getByRole('button', { name: 'Copy homeserver URL' }));
    await screen.findByText('Select and copy it');
  });
});
