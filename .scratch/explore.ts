import { openElement, startElementWeb } from '../scripts/harness/element-web.ts';
import { dismissNoticesWhenShown, registerWithForm, waitForHomeScreen, screenshot } from '../scripts/harness/element-ui.ts';
import { startRelayProcess } from '../scripts/harness/serve-process.ts';
import { removeProfile } from '../scripts/harness/extension-browser.ts';
const relay = await startRelayProcess();
const site = await startElementWeb();
const u = await openElement(site, relay.multiaddrs[0]!, '#/register');
const page = u.page;
try {
  await dismissNoticesWhenShown(page);
  await registerWithForm(page, 'alice', 'correct horse battery staple');
  await waitForHomeScreen(page, 'alice');
  await page.getByRole('button', { name: 'User menu' }).click();
  console.log(await page.locator('body').ariaSnapshot());
  await page.getByRole('menuitem', { name: 'All settings' }).click();
  await page.waitForTimeout(1500);
  console.log('---- settings');
  console.log(await page.getByRole('dialog').ariaSnapshot());
  await screenshot(page, 'explore-settings');
  console.log('file inputs', await page.locator('input[type=file]').count());
} catch (e) { console.log('ERR', e); await screenshot(page, 'explore-fail'); }
await u.browser.close(); removeProfile(u.browser.profileDir); await site.close(); await relay.stop();
