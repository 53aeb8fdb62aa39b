// A small Hydrogen page (hydrogen-view-sdk, with olm from npm), as an app
// embedding Hydrogen's view SDK would be: it signs in with a password, waits
// for the session to load (keys uploaded, first sync) and mounts a room's
// timeline. Tests drive it through `window.p2pmHydrogen`; everything else
// they check on the page as a user sees it.
import {
  Client,
  createNavigation,
  createRouter,
  FeatureSet,
  LoadStatus,
  Platform,
  RoomViewModel,
  TimelineView,
  viewClassForTile,
  // @ts-expect-error: hydrogen-view-sdk ships no types for its entry (its README says to declare the module)
} from 'hydrogen-view-sdk';

const assetPaths = {
  downloadSandbox: '/download-sandbox.html',
  worker: '/main.js',
  olm: { wasm: '/olm.wasm', legacyBundle: '/olm_legacy.js', wasmBundle: '/olm.js' },
  // Hydrogen needs its service worker (it hands it the session's access token,
  // for authenticated media). A service worker gets no content script, so
  // media it fetches would not reach the extension: not used by these tests.
  serviceWorker: '/sw.js',
};

interface AppElement {
  replaceChildren(...nodes: unknown[]): void;
}
// The page's DOM, typed as little as used (this file is typechecked without the DOM library).
const app = (
  globalThis as unknown as { document: { querySelector(s: string): AppElement } }
).document.querySelector('#app');
const platform = new Platform({ container: app, assetPaths, config: {}, options: { development: false } });
const navigation = createNavigation();
platform.setNavigation(navigation);
const urlRouter = createRouter({ navigation, history: platform.history });
urlRouter.attach();
const client = new Client(platform);

export interface HydrogenPageApi {
  /** Signs in and waits for the session to be ready; returns the load status ("Ready" or why not). */
  signIn(homeserver: string, username: string, password: string): Promise<string>;
  /** Sends a text message to a room of the session (Hydrogen encrypts it in an encrypted room). */
  send(roomId: string, body: string): Promise<void>;
  /** Mounts the room's timeline view in the page. */
  showRoom(roomId: string): Promise<void>;
}

const api: HydrogenPageApi = {
  async signIn(homeserver, username, password) {
    const loginOptions = await client.queryLogin(homeserver).result;
    client.startWithLogin(loginOptions.password(username, password));
    await client.loadStatus.waitFor(
      (status: string) =>
        status === LoadStatus.Ready || status === LoadStatus.Error || status === LoadStatus.LoginFailed,
    ).promise;
    if (client.loginFailure) return `login failed: ${client.loginFailure}`;
    if (client.loadError) return `load failed: ${client.loadError.message}`;
    return client.loadStatus.get();
  },
  async send(roomId, body) {
    await client.session.rooms.get(roomId).sendEvent('m.room.message', { msgtype: 'm.text', body });
  },
  async showRoom(roomId) {
    const { session } = client;
    const room = session.rooms.get(roomId);
    if (!room) throw new Error(`${roomId} is not among the session's rooms`);
    const features = await FeatureSet.load(platform.settingsStorage);
    const vm = new RoomViewModel({
      room,
      ownUserId: session.userId,
      platform,
      urlRouter,
      navigation,
      features,
    });
    await vm.load();
    app.replaceChildren(new TimelineView(vm.timelineViewModel, viewClassForTile).mount());
  },
};
(globalThis as unknown as { p2pmHydrogen: HydrogenPageApi }).p2pmHydrogen = api;
