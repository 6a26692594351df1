// The console's first load leaves out what a screen does not show yet: the
// vault-management screen and the pending switch's steps are their own wasm
// modules (app/src/on_demand.rs, scripts/split_wasm.py), fetched when first
// shown. A module that cannot be fetched is said so, and the rest of the
// console keeps working.
import { expect } from '@playwright/test';
import { test, KeyHealthPanel, ManageKmsPage, VaultsPage, Sim, switchedToAzure, watchErrors, uniqueSlug, openWithSession } from './pages.mjs';

const run = Date.now().toString(36);

/** The on-demand modules the page fetches, by name without their hash. */
function chunkFetches(page) {
  const names = [];
  page.on('request', (req) => {
    const m = /\/([a-z_0-9]+)-[0-9a-f]{16}\.wasm$/.exec(new URL(req.url()).pathname);
    if (m) names.push(m[1]);
  });
  return names;
}

test('Manage KMS starts without the on-demand modules; a setup and the vault screen fetch their own', async ({ page, request }) => {
  const errors = watchErrors(page);
  const sim = new Sim(request);
  const company = `e2e-split-${run}`;
  await sim.company(company);
  const fresh = await sim.freshTenant(uniqueSlug());
  const token = await sim.session({ companies: [company] });
  const chunks = chunkFetches(page);

  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  await kms.expectProvider('CyberSentriq-Managed');
  await expect(page.getByRole('button', { name: 'Switch to Azure Key Vault' })).toBeVisible();
  // The audit trail's module comes with the screen, and so does the
  // switch's (form and steps: a switch is what this screen offers); nothing
  // of the Azure key's cards (this company has none) or the vaults.
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  await expect.poll(() => chunks).toContain('split_pending');
  expect(chunks).toContain('split_audit');
  for (const part of ['split_azure', 'split_vaults']) expect(chunks).not.toContain(part);
  expect(new Set(chunks).size).toBe(chunks.length);

  // The form opens with its first field focused, and the steps follow.
  await page.getByRole('button', { name: 'Switch to Azure Key Vault' }).click();
  await expect(page.getByLabel('Vault URI')).toBeFocused();
  await kms.fillTarget(fresh.vaultUri, 'company-kek');
  const landing = await kms.testConnection({ consentAs: fresh.admin });
  await landing.expectLanding('Admin consent granted');
  await landing.page.close();
  await expect(kms.pending).toBeVisible();
  expect(chunks).toContain('split_pending');
  expect(chunks).not.toContain('split_vaults');

  // The vault screen, in a new page load, fetches only its own module.
  const workspace = `e2e-split-ws-${run}`;
  const owner = await sim.session({ role: 'workspace_owner', companies: [workspace] });
  chunks.length = 0;
  const vaults = new VaultsPage(page);
  await vaults.open(workspace, owner);
  await expect(vaults.vaults).toContainText('No vaults yet');
  expect(chunks).toContain('split_vaults');
  expect(chunks).not.toContain('split_pending');
  expect(errors).toEqual([]);
});

test('a company on its Azure key fetches the key cards\' module with the screen, and no pending steps', async ({ page, request }) => {
  const { company, token } = await switchedToAzure(page, request, `e2e-split-azure-${run}`);
  // A new visit, in a new tab: the state, the trail and the key's cards,
  // each part fetched once.
  const visit = await page.context().newPage();
  const errors = watchErrors(visit);
  const chunks = chunkFetches(visit);
  const kms = new ManageKmsPage(visit);
  await kms.open(company, token);
  await kms.expectProvider('Azure Key Vault');
  const health = new KeyHealthPanel(visit);
  await expect(health.region).toBeVisible();
  await expect(health.versions).toBeVisible();
  await expect(health.checkButton).toBeVisible();
  // The switch is complete: its one-time export is offered.
  await expect(visit.getByRole('heading', { name: 'Switch complete' })).toBeVisible();
  await expect(visit.getByRole('button', { name: 'Export key' })).toBeVisible();
  await expect(kms.audit).toContainText('Switch completed');
  expect(chunks).toContain('split_azure');
  expect(chunks).toContain('split_audit');
  expect(chunks).not.toContain('split_pending');
  expect(chunks).not.toContain('split_vaults');
  expect(new Set(chunks).size).toBe(chunks.length);
  expect(errors).toEqual([]);
});

test('a module that cannot be fetched is reported with its fix, and a reload recovers', async ({ page, request }) => {
  const workspace = `e2e-split-fail-${run}`;
  const owner = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });
  const blocked = /\/split_vaults-[0-9a-f]{16}\.wasm$/;
  await page.route(blocked, (route) => route.abort('internetdisconnected'));

  const vaults = new VaultsPage(page);
  const alert = page.getByRole('alert').filter({ hasText: 'This part of the console could not be loaded' });
  await openWithSession(page, `/workspaces/${workspace}/vaults`, owner);
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('Check your connection, then reload the page.');
  // The rest of the console still answers: the shell's navigation works.
  await expect(page.getByRole('navigation').first()).toBeVisible();

  await page.unroute(blocked);
  await page.reload();
  await expect(vaults.heading).toBeVisible();
  await expect(vaults.vaults).toContainText('No vaults yet');
  await expect(alert).toHaveCount(0);
});

test('a module altered on the way is refused by its integrity, never run', async ({ page, request }) => {
  const workspace = `e2e-split-sri-${run}`;
  const owner = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });
  const module = /\/split_vaults-[0-9a-f]{16}\.wasm$/;
  let altered = 0;
  await page.route(module, async (route) => {
    // The real module with an empty custom section appended: still a valid
    // module that would run the same, of the right type; only its bytes
    // differ from what the loader was built with.
    const response = await route.fetch();
    const body = Buffer.concat([Buffer.from(await response.body()), Buffer.from([0, 5, 4, 0x74, 0x65, 0x73, 0x74])]);
    altered += 1;
    await route.fulfill({ response, body });
  });
  const alert = page.getByRole('alert').filter({ hasText: 'This part of the console could not be loaded' });
  await openWithSession(page, `/workspaces/${workspace}/vaults`, owner);
  await expect(alert).toBeVisible();
  expect(altered).toBeGreaterThan(0);
  await expect(new VaultsPage(page).heading).toHaveCount(0);
});
