// The popup's entry point: wires the browser's runtime and APIs into the app.
import { h, render } from 'preact';
import { ext } from '../src/platform/web/ext-api.ts';
import { browserApi } from './browser-api.ts';
import { App } from './components/app.ts';
import { connectPopupClient } from './popup-client.ts';

const root = document.getElementById('app');
if (root) {
  render(
    h(App, { client: connectPopupClient(ext.runtime), browser: browserApi(ext, navigator, document) }),
    root,
  );
}
