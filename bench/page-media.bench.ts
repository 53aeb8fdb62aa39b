// Media for the page (content/shim/media-elements.ts) in real Chromium and
// Firefox ESR with the built extension: `<img>` elements whose src is the
// homeserver URL, each fetched through the content-script shim and shown from
// a `blob:` URL, against the same bytes loaded natively from a static server
// on 127.0.0.1 (the browser's own path, as on a homeserver with a real URL):
//  - 100 different 96×96 PNG avatars put into the page at once, until all
//    have loaded (per image);
//  - one avatar in 100 `<img>`s (one download: the page's MediaCache);
//  - one 5 MB image (2000×1000 of noise, PNG stored uncompressed).
// Prints "skipped" without the browsers or a build.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HOMESERVER_ORIGIN } from '../src/platform/web/homeserver-url.ts';
import {
  callClientWith,
  openShimmedClientPage,
  type PageEvaluate,
} from '../scripts/harness/client-page/driver.ts';
import { CHROMIUM_PATH, EXTENSION_DIR, removeProfile } from '../scripts/harness/extension-browser.ts';
import {
  approveOrigin,
  launchWithLoopbackAccess,
  startClientSite,
} from '../scripts/harness/extension-session.ts';
import { type StaticFile, startStaticSite } from '../scripts/harness/static-site.ts';
import {
  FIREFOX_PATH,
  launchFirefoxWithExtension,
  openShimmedPage,
} from '../test/support/firefox-browser.ts';
import { gradientImage, noiseImage } from '../test/support/test-images.ts';

const AVATARS = 100;

async function images(): Promise<{ avatars: Uint8Array[]; big: Uint8Array }> {
  const avatars = await Promise.all(
    Array.from({ length: AVATARS }, (_, i) => gradientImage(96 + (i % 7), 96, 'png')),
  );
  return { avatars, big: await noiseImage(2000, 1000) };
}

/** The figures of one browser, its page on an approved origin already open. */
async function measure(
  inPage: PageEvaluate,
  set: Awaited<ReturnType<typeof images>>,
): Promise<Record<string, string>> {
  const creds = await callClientWith(inPage, 'register', HOMESERVER_ORIGIN, `bench${Date.now()}`);
  // A hundred uploads in a row meet the media upload rate limit: wait what
  // its 429 says (`retry_after_ms`), as a client should, and ask again.
  const upload = async (bytes: Uint8Array, name: string): Promise<string> => {
    let mxc: string;
    for (;;) {
      try {
        mxc = await callClientWith(
          inPage,
          'uploadImage',
          HOMESERVER_ORIGIN,
          creds.accessToken,
          Buffer.from(bytes).toString('base64'),
          name,
        );
        break;
      } catch (err) {
        const wait = /answered 429: .*"retry_after_ms":(\d+)/.exec(String(err))?.[1];
        if (wait === undefined) throw err;
        await new Promise((resolve) => setTimeout(resolve, Number(wait)));
      }
    }
    return `${HOMESERVER_ORIGIN}/_matrix/media/v3/download/${mxc.slice('mxc://'.length)}`;
  };
  const avatarUrls: string[] = [];
  for (const [i, bytes] of set.avatars.entries()) avatarUrls.push(await upload(bytes, `a${i}.png`));
  const bigUrl = await upload(set.big, 'big.png');

  const files: Record<string, StaticFile> = { '/big.png': { type: 'image/png', body: set.big } };
  for (const [i, bytes] of set.avatars.entries()) files[`/a${i}.png`] = { type: 'image/png', body: bytes };
  const native = await startStaticSite(files);
  try {
    const time = async (urls: string[]) => {
      const { ms, failed } = await callClientWith(inPage, 'timeImages', urls);
      if (failed) throw new Error(`${failed} of ${urls.length} images failed`);
      return ms;
    };
    const shimAvatars = await time(avatarUrls);
    const nativeAvatars = await time(avatarUrls.map((_, i) => `${native.origin}/a${i}.png`));
    const oneAvatar = await time(Array.from({ length: AVATARS }, () => avatarUrls[0]!));
    const shimBig = await time([bigUrl]);
    const nativeBig = await time([`${native.origin}/big.png`]);
    const avatarKb = set.avatars.reduce((n, a) => n + a.byteLength, 0) / AVATARS / 1024;
    return {
      [`${AVATARS} avatars (${avatarKb.toFixed(0)} KB each), shim → blob, per image`]: `${(shimAvatars / AVATARS).toFixed(2)} ms`,
      [`${AVATARS} avatars, native from 127.0.0.1, per image`]: `${(nativeAvatars / AVATARS).toFixed(2)} ms`,
      [`one avatar (cached) in ${AVATARS} <img>s, in all`]: `${oneAvatar.toFixed(1)} ms`,
      [`${(set.big.byteLength / 1e6).toFixed(1)} MB image, shim → blob`]: `${shimBig.toFixed(0)} ms`,
      [`${(set.big.byteLength / 1e6).toFixed(1)} MB image, native from 127.0.0.1`]: `${nativeBig.toFixed(0)} ms`,
    };
  } finally {
    await native.close();
  }
}

export default async function pageMediaBench(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH) || !existsSync(FIREFOX_PATH))
    return console.log('skipped: needs Chromium and Firefox ESR');
  if (!existsSync(resolve(EXTENSION_DIR, 'manifest.json')))
    return console.log('skipped: run npm run build first');
  const set = await images();
  const site = await startClientSite();
  try {
    const chromium = await launchWithLoopbackAccess();
    try {
      await approveOrigin(chromium, site.origin);
      const page = await openShimmedClientPage(chromium.context, site.origin);
      for (const [name, value] of Object.entries(await measure((fn, arg) => page.evaluate(fn, arg), set)))
        console.log(`chromium: ${name}: ${value}`);
    } finally {
      await chromium.close();
      removeProfile(chromium.profileDir);
    }
    const firefox = await launchFirefoxWithExtension({ approvedOrigins: [site.origin] });
    try {
      const page = await openShimmedPage(firefox, `${site.origin}/`);
      for (const [name, value] of Object.entries(await measure((fn, arg) => page.evaluate(fn, arg), set)))
        console.log(`firefox: ${name}: ${value}`);
    } finally {
      await firefox.close();
    }
  } finally {
    await site.close();
  }
}
