// With P2PM_CPU_PROFILE=<directory>, a CPU profile of the extension's
// service worker, or of its offscreen document (CDP on its target), as
// federation.bench.ts profiles Node's main thread; written as
// <directory>/<name>.cpuprofile when the returned function is called.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ExtensionBrowser } from '../scripts/harness/extension-browser.ts';
import { type ExtensionTarget, workerProtocol } from './worker-protocol.ts';

export async function workerCpuProfile(
  browser: ExtensionBrowser,
  which: ExtensionTarget = 'worker',
): Promise<(name: string) => Promise<void>> {
  const directory = process.env.P2PM_CPU_PROFILE;
  if (!directory) return async () => {};
  const protocol = await workerProtocol(browser.context, browser.extensionId, which);
  await protocol.call('Profiler.enable');
  await protocol.call('Profiler.setSamplingInterval', { interval: 200 });
  await protocol.call('Profiler.start');
  return async (name) => {
    const { profile } = await protocol.call('Profiler.stop');
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}/${name}.cpuprofile`, JSON.stringify(profile));
    await protocol.detach();
  };
}
