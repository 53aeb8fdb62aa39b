// With P2PM_CPU_PROFILE=<directory>, a CPU profile of the extension's
// service worker (CDP on its target, through a page's session: targets are
// not pages), as federation.bench.ts profiles Node's main thread; written as
// <directory>/<name>.cpuprofile when the returned function is called.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ExtensionBrowser } from '../scripts/harness/extension-browser.ts';

export async function workerCpuProfile(browser: ExtensionBrowser): Promise<(name: string) => Promise<void>> {
  const directory = process.env.P2PM_CPU_PROFILE;
  if (!directory) return async () => {};
  const { context, extensionId } = browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: { targetId: string; type: string; url: string }[];
  };
  const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.includes(extensionId));
  if (!target) throw new Error('no service worker target');
  const { sessionId } = (await cdp.send('Target.attachToTarget', {
    targetId: target.targetId,
    flatten: false,
  })) as { sessionId: string };
  let id = 0;
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result ?? {});
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const n = ++id;
      waiting.set(n, resolve);
      void cdp.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({ id: n, method, params }),
      });
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 200 });
  await call('Profiler.start');
  return async (name) => {
    const { profile } = await call('Profiler.stop');
    mkdirSync(directory, { recursive: true });
    writeFileSync(`${directory}/${name}.cpuprofile`, JSON.stringify(profile));
    await cdp.detach();
  };
}
