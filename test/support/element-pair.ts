// The set-up every Element Web end-to-end file shares: a relay process (with
// its TURN server), Element Web served on 127.0.0.1, and two Chromiums with
// the extension, Element's origin approved and the relay added, Element open
// on its registration page with notices put off as a user would; by default
// Alice and Bob then register through Element's own form and reach the home
// screen. close() undoes it all, whatever was made.
import {
  type ElementBrowser,
  elementWebMissing,
  type OpenElementOptions,
  openElement,
  startElementWeb,
} from '../../scripts/harness/element-web.ts';
import {
  dismissNoticesWhenShown,
  registerWithForm,
  waitForHomeScreen,
} from '../../scripts/harness/element-ui.ts';
import { removeProfile } from '../../scripts/harness/extension-browser.ts';
import { type RelayProcess, startRelayProcess } from '../../scripts/harness/serve-process.ts';
import type { StaticSite } from '../../scripts/harness/static-site.ts';

export const ELEMENT_PASSWORD = 'correct horse battery staple';

export interface ElementUser extends ElementBrowser {
  readonly name: 'alice' | 'bob';
}

export interface ElementPair {
  readonly relay: RelayProcess;
  readonly site: StaticSite;
  readonly alice: ElementUser;
  readonly bob: ElementUser;
  close(): Promise<void>;
}

export interface ElementPairOptions extends OpenElementOptions {
  /** Register both through Element's form and wait for the home screen (default true). */
  readonly register?: boolean;
}

export async function openElementPair(options: ElementPairOptions = {}): Promise<ElementPair> {
  const missing = elementWebMissing();
  if (missing) throw new Error(`Element Web is needed here: ${missing}`);
  const users: ElementUser[] = [];
  let relay: RelayProcess | undefined;
  let site: StaticSite | undefined;
  const close = async () => {
    for (const user of users) {
      await user.browser.close();
      removeProfile(user.browser.profileDir);
    }
    await site?.close();
    await relay?.stop();
  };
  try {
    relay = await startRelayProcess();
    site = await startElementWeb();
    for (const name of ['alice', 'bob'] as const) {
      const user = { ...(await openElement(site, relay.multiaddrs[0]!, '#/register', options)), name };
      users.push(user);
      await dismissNoticesWhenShown(user.page);
    }
    const [alice, bob] = users as [ElementUser, ElementUser];
    if (options.register ?? true) {
      await Promise.all(
        users.map(async (user) => {
          await registerWithForm(user.page, user.name, ELEMENT_PASSWORD);
          await waitForHomeScreen(user.page, user.name);
        }),
      );
    }
    return { relay, site, alice, bob, close };
  } catch (err) {
    await close();
    throw err;
  }
}
