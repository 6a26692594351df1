// Session handoff (issue 13, item 10): the console shows who is signed in and
// for which company or workspace, and takes a session from the URL fragment
// only when it carries the sign-in state this tab stored before it sent the
// admin to RedApp (login-CSRF protection). A link with someone else's
// session is ignored, visibly.
import { expect } from '@playwright/test';
import { test, ManageKmsPage, Sim, openWithSession, startSignIn } from './pages.mjs';

const run = Date.now().toString(36);

const ignoredNotice = (page) => page.getByRole('alert').filter({ hasText: 'A sign-in link was ignored' });
const NOTICE_FIX = 'The address carried a RedApp session that this browser tab did not ask for (it may be someone else\'s). It was not used. To sign in, use Sign in through RedApp on this page.';

test('a #session= link without this tab\'s sign-in state is not used', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-csrf-${run}`;
  await sim.company(company);
  const attacker = await sim.session({ sub: 'mallory', name: 'Mallory Attacker', companies: [company] });
  const kms = new ManageKmsPage(page);

  // No state at all: the page stays signed out and says why.
  await page.goto(`/companies/${company}/kms#session=${attacker}`);
  await expect(page.getByRole('heading', { name: 'Sign in through RedApp' })).toBeVisible();
  await expect(ignoredNotice(page)).toContainText(NOTICE_FIX);
  await expect(page.getByTestId('signed-in-as')).toHaveText(`Not signed in · Company ${company}`);
  expect(page.url()).not.toContain('session=');
  expect(await page.evaluate(() => sessionStorage.getItem('keyswitch.session'))).toBeNull();
  await kms.screenshot('session-link-ignored');

  // A state, but not the one this tab stored: ignored as well.
  const mine = await startSignIn(page);
  const other = 'f'.repeat(64);
  expect(other).not.toBe(mine);
  await page.goto(`/companies/${company}/kms?x=1#session=${attacker}&state=${other}`);
  await expect(page.getByRole('heading', { name: 'Sign in through RedApp' })).toBeVisible();
  await expect(ignoredNotice(page)).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem('keyswitch.session'))).toBeNull();
  // This tab's own sign-in still works afterwards (its state was not spent).
  const admin = await sim.session({ sub: 'casey2', name: 'Casey Admin', companies: [company] });
  await page.goto(`/companies/${company}/kms?y=1#session=${admin}&state=${mine}`);
  await expect(kms.heading).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(`Signed in as Casey Admin (company admin) · Company ${company}`);
  await expect(ignoredNotice(page)).toHaveCount(0);
  // The state is spent: the same link again is ignored, and the session stays Casey's.
  await page.evaluate((t) => { window.location.hash = `session=${t}&state=${'0'.repeat(64)}`; }, attacker);
  await expect(ignoredNotice(page)).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(`Signed in as Casey Admin (company admin) · Company ${company}`);
  expect(await page.evaluate(() => sessionStorage.getItem('keyswitch.session'))).toBe(admin);
});

test('a signed-in admin keeps their session when a link carries another one', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-keep-${run}`;
  await sim.company(company);
  const token = await sim.session({ sub: 'pat-e2e', name: 'Pat Partner', role: 'partner_admin', companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  await expect(kms.heading).toBeVisible();
  const who = page.getByTestId('signed-in-as');
  await expect(who).toHaveText(`Signed in as Pat Partner (partner admin) · Company ${company}`);
  await kms.screenshot('signed-in-identity');

  const attacker = await sim.session({ sub: 'mallory', name: 'Mallory Attacker', companies: [company] });
  await page.goto(`/companies/${company}/kms#session=${attacker}`);
  await expect(kms.heading).toBeVisible();
  await expect(ignoredNotice(page)).toBeVisible();
  await expect(who).toHaveText(`Signed in as Pat Partner (partner admin) · Company ${company}`);
  expect(await page.evaluate(() => sessionStorage.getItem('keyswitch.session'))).toBe(token);
});

test('the vault screen names the workspace and who is signed in', async ({ page, request }) => {
  const workspace = `e2e-who-${run}`;
  const token = await new Sim(request).session({ sub: 'wo-e2e', name: 'Wendy Owner', role: 'workspace_owner', companies: [workspace] });
  await openWithSession(page, `/workspaces/${workspace}/vaults`, token);
  await expect(page.getByRole('heading', { name: 'Vault management', level: 1 })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(`Signed in as Wendy Owner (workspace owner) · Workspace ${workspace}`);
});

test('the console\'s links change screen without loading the page, and Back returns', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-nav-${run}`;
  await sim.company(company);
  const token = await sim.session({ sub: 'pat-nav', name: 'Pat Partner', role: 'partner_admin', companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  await expect(kms.heading).toBeVisible();
  // Lost on a page load: the test proves no link below loads the page.
  await page.evaluate(() => { window.__marker = 'same page'; });
  const marker = () => page.evaluate(() => window.__marker);
  const who = page.getByTestId('signed-in-as');
  const home = page.getByRole('heading', { name: 'Key Management', level: 1 });

  const crumb = page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Key Management' });
  await expect(crumb).toHaveAttribute('href', '/');
  await crumb.click();
  await expect(home).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
  await expect(who).toHaveText('Signed in as Pat Partner (partner admin)');
  expect(await marker()).toBe('same page');

  await page.getByRole('link', { name: 'Manage KMS' }).click();
  await expect(kms.heading).toBeVisible();
  await expect(page).toHaveURL(/\/companies\/acme\/kms$/);
  await expect(who).toHaveText('Signed in as Pat Partner (partner admin) · Company acme');
  expect(await marker()).toBe('same page');

  await page.goBack();
  await expect(home).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/companies/${company}/kms$`));
  await expect(who).toHaveText(`Signed in as Pat Partner (partner admin) · Company ${company}`);
  await expect(kms.heading).toBeVisible();
  expect(await marker()).toBe('same page');
  expect(await page.evaluate(() => sessionStorage.getItem('keyswitch.session'))).toBe(token);
});
