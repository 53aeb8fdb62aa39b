// How much this browser stores for the homeserver, whether the browser keeps
// it under storage pressure (and asking it to), its media (and clearing the
// cache of other peers' media), and a backup of the server's identity key
// behind a clear warning.
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { BrowserApi, StorageEstimate } from '../browser-api.ts';
import { describeError } from '../error-words.ts';
import { formatBytes } from '../format.ts';
import type { PopupClient } from '../popup-client.ts';
import { useAction } from '../use-action.ts';
import { ErrorText } from './error-text.ts';
import { IdentityExportForm } from './identity-export-form.ts';
import { MediaUsage } from './media-usage.ts';

export interface StorageProps {
  readonly client: Pick<PopupClient, 'request'>;
  readonly browser: Pick<BrowserApi, 'storageEstimate' | 'storagePersisted' | 'requestPersist' | 'saveFile'>;
}

export function Storage({ client, browser }: StorageProps) {
  const [estimate, setEstimate] = useState<StorageEstimate | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);
  const { error, setError, run } = useAction();
  useEffect(() => {
    const fail = (err: unknown) => setError(describeError(err));
    browser.storageEstimate().then(setEstimate, fail);
    browser.storagePersisted().then(setPersisted, fail);
  }, [browser]);
  const askPersist = () => {
    run(browser.requestPersist(), (granted) => {
      setPersisted(granted);
      if (!granted)
        setError(
          'The browser declined. It decides by itself, for example after you bookmark or use the extension more.',
        );
    });
  };
  return h(
    'div',
    { class: 'stack' },
    h(
      'section',
      { 'aria-labelledby': 'storage-heading' },
      h('h2', { id: 'storage-heading' }, 'Storage'),
      h(
        'dl',
        { class: 'pairs' },
        h('dt', null, 'Space used'),
        h(
          'dd',
          null,
          estimate
            ? `${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} available`
            : 'Measuring…',
        ),
        h('dt', null, 'Kept when space runs low'),
        h(
          'dd',
          null,
          persisted === null
            ? 'Checking…'
            : persisted
              ? 'Yes (persistent storage granted)'
              : 'No, the browser may clear it',
        ),
      ),
      h(
        'button',
        { type: 'button', disabled: persisted !== false, onClick: askPersist },
        'Ask the browser to keep this data',
      ),
      h(ErrorText, { id: 'storage-error', message: error }),
    ),
    h(MediaUsage, { client }),
    h(IdentityExportForm, { client, saveFile: browser.saveFile }),
  );
}
