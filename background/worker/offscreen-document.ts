// Chrome's offscreen document that hosts the libp2p node: created on demand,
// created again if it is gone (it can crash, or be closed from the task
// manager), never twice (Chrome allows one per extension and throws on a
// second createDocument).
import { OFFSCREEN_PAGE, WAKE_MESSAGE } from '../../src/platform/web/node-wire.ts';

const JUSTIFICATION =
  'Runs the peer-to-peer node: WebRTC data channels to other users\u2019 homeservers (RTCPeerConnection is not available in service workers).';

export interface OffscreenDocument {
  /** Makes sure the document exists; one that already existed is asked to reconnect its port. */
  ensure(): Promise<void>;
}

export function offscreenDocument(): OffscreenDocument {
  let pending: Promise<void> | undefined;
  const ensure = async () => {
    if (await chrome.offscreen.hasDocument()) {
      // The document survived a worker restart; its port to the old worker broke.
      await chrome.runtime.sendMessage(WAKE_MESSAGE).catch(() => {});
      return;
    }
    try {
      await chrome.offscreen.createDocument({
        url: OFFSCREEN_PAGE,
        reasons: [chrome.offscreen.Reason.WEB_RTC],
        justification: JUSTIFICATION,
      });
    } catch (err) {
      // Another context of this extension created it a moment ago: that is what we wanted.
      if (!(await chrome.offscreen.hasDocument())) throw err;
    }
  };
  return {
    ensure() {
      pending ??= ensure().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
