// A DevTools session on the extension's service worker, or on its offscreen
// document (the libp2p node): CDP through a page's session (targets are not
// pages), its messages relayed with Target.sendMessageToTarget. Used by
// worker-memory.bench.ts (heap) and worker-profile.ts (CPU profile).
import type { BrowserContext } from 'playwright-core';

export interface WorkerProtocol {
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  detach(): Promise<void>;
}

/** Which of the extension's targets: its service worker, or its offscreen document. */
export type ExtensionTarget = 'worker' | 'offscreen';

export async function workerProtocol(
  context: BrowserContext,
  extensionId: string,
  which: ExtensionTarget = 'worker',
): Promise<WorkerProtocol> {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: { targetId: string; type: string; url: string }[];
  };
  const target = targetInfos.find((t) =>
    which === 'worker'
      ? t.type === 'service_worker' && t.url.includes(extensionId)
      : t.type !== 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/offscreen`),
  );
  if (!target) throw new Error(`no ${which} target`);
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
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const n = ++id;
        waiting.set(n, resolve);
        void cdp.send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id: n, method, params }),
        });
      }),
    detach: () => cdp.detach(),
  };
}
