// `npm start`: builds the extension, starts a relay on this machine and
// opens Chromium (Debian's /usr/bin/chromium, or CHROME_PATH) with the
// extension loaded and its popup in a tab. Where there is no display
// (neither DISPLAY nor WAYLAND_DISPLAY is set) it runs the headless demo
// instead (scripts/demo.ts).
//
// The relay keeps its key in .p2p-matrix/relay.key and listens on
// 127.0.0.1:9090, so its address stays the same from one start to the next;
// the browser profile is .p2p-matrix/chromium, so the homeserver's accounts
// and rooms stay too.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startRelayProcess } from './harness/serve-process.ts';

const root = resolve(import.meta.dirname, '..');
const state = join(root, '.p2p-matrix');
const extensionDir = join(root, 'dist/chrome');
const chromium = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** Chromium's id for an unpacked extension: the SHA-256 of its path, first 32 hex digits written a–p. */
function unpackedExtensionId(path: string): string {
  const hex = createHash('sha256').update(path).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join('');
}

function build(): void {
  const result = spawnSync(process.execPath, [join(root, 'scripts/build.ts')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function withDisplay(): Promise<void> {
  mkdirSync(state, { recursive: true });
  const relay = await startRelayProcess([
    '--port',
    '9090',
    '--key-file',
    join(state, 'relay.key'),
    // TURN for calls on a free port (a system coturn may hold 3478).
    '--turn-port',
    '0',
  ]);
  const popup = `chrome-extension://${unpackedExtensionId(extensionDir)}/popup.html`;
  const browser: ChildProcess = spawn(
    chromium,
    [
      `--user-data-dir=${join(state, 'chromium')}`,
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      '--no-first-run',
      popup,
    ],
    { stdio: 'ignore' },
  );
  console.log(`relay listening on ${relay.multiaddrs[0]}`);
  console.log(`Chromium is open with p2p-matrix loaded (its popup: ${popup}).`);
  console.log('1. In the popup, create your account, then on the Peers tab add the relay address above.');
  console.log('2. On the site of a Matrix web client, approve the site in the popup and sign in with');
  console.log('   the homeserver https://p2p-matrix.invalid (the extension answers it).');
  console.log('Ctrl-C or closing Chromium stops the relay.');
  const stop = () => {
    if (browser.exitCode === null) browser.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise((done) => browser.once('exit', done));
  await relay.stop();
}

build();
if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) {
  await withDisplay();
} else {
  console.log('No display: running the headless demo instead (npm run demo).');
  const { runDemo } = await import('./demo.ts');
  await runDemo();
}
