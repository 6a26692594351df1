// After the switch (issue 14): Manage KMS keeps showing whether keyswitch can
// still use the customer's key — health with its cause and fix, through
// access lost and back without anyone touching keyswitch; the expiry warning
// with its az command; Check configuration listing every problem at once
// (before Save and after); the key-version history and Re-wrap now.
import { expect } from '@playwright/test';
import { test, KeyHealthPanel, ManageKmsPage, Sim, switchedToAzure, uniqueSlug, watchErrors } from './pages.mjs';

const run = Date.now().toString(36);
// The test stack's KMS Connector (public cloud; scripts/lib.sh).
const CONNECTOR_CLIENT_ID = process.env.SIM_CONNECTOR_CLIENT_ID || '5f0c2b7e-9a41-4c36-8d2e-0b7a6c1e4f21';
const companyId = (name) => `e2e-${name}-${run}`;

test('health badge: healthy, access lost with its cause and fix (role removed, key disabled, firewall, key deleted), healthy again by itself', async ({ page, request }) => {
  // Each recovery waits for keyswitch's own next check (30 s in the test stack).
  test.setTimeout(240_000);
  const errors = watchErrors(page);
  const { sim, kms, fresh } = await switchedToAzure(page, request, companyId('health'));
  const health = new KeyHealthPanel(page);
  await expect(health.region).toBeVisible();
  await health.checkNowAndWait();
  await health.expectState('Healthy');
  await expect(health.region.getByTestId('last-check')).toContainText('UTC');
  await expect(health.region.getByTestId('next-check')).toContainText('UTC');
  await expect(health.region.getByTestId('cache-time')).toContainText('keyswitch keeps the unlocked company key in memory for at most');
  await kms.screenshot('key-health-healthy');

  // The Azure admin removes keyswitch's role: Check now shows it at once.
  await sim.removeCryptoUser(fresh.vault, fresh.tenantId);
  await health.checkNowAndWait();
  await health.expectState('Access lost');
  const cause = health.status.locator('[data-code]');
  await expect(cause).toHaveAttribute('data-code', 'role_removed');
  await expect(cause).toContainText(`role on the vault ${fresh.vault} was removed`);
  await expect(cause).toContainText('How to fix it: Ask your Azure admin to assign the Key Vault Crypto User role');
  // Beside it, the commands for every tool, naming the connector's app id
  // for the vault's cloud (issue 17 item 3).
  const fixTabs = health.status.getByRole('tablist', { name: 'Commands that fix it' });
  await expect(fixTabs.getByRole('tab')).toHaveText(['Azure CLI', 'Azure PowerShell', 'Terraform', 'Bicep']);
  await expect(health.status.locator('.notice-commands [role=tabpanel]:not([hidden])')).toContainText(`--assignee ${CONNECTOR_CLIENT_ID}`);
  await kms.screenshot('key-health-role-removed');
  // The role is back: keyswitch notices by itself at its next check.
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await health.expectState('Healthy', { timeout: 45_000 });

  // The key is disabled, then enabled again.
  await sim.disableKey(fresh.vault);
  await health.checkNowAndWait();
  await health.expectState('Access lost');
  await expect(cause).toHaveAttribute('data-code', 'key_disabled');
  await expect(cause).toContainText('The key is disabled');
  await kms.screenshot('key-health-key-disabled');
  await sim.enableKey(fresh.vault);
  await health.expectState('Healthy', { timeout: 45_000 });

  // The vault's firewall shuts keyswitch out, then lets it in again.
  await sim.firewall(fresh.vault, true);
  await health.checkNowAndWait();
  await health.expectState('Access lost');
  await expect(cause).toHaveAttribute('data-code', 'vault_firewall');
  await expect(cause).toContainText("The vault's firewall blocked the request");
  await kms.screenshot('key-health-firewall');
  await sim.firewall(fresh.vault, false);
  await health.expectState('Healthy', { timeout: 45_000 });

  // A deleted key says how to recover it; recovered, it is healthy again.
  await sim.softDeleteKey(fresh.vault);
  await health.checkNowAndWait();
  await expect(cause).toHaveAttribute('data-code', 'key_deleted');
  await expect(cause).toContainText(`az keyvault key recover --vault-name ${fresh.vault} --name company-kek`);
  await kms.screenshot('key-health-key-deleted');
  await sim.recoverKey(fresh.vault);
  await health.expectState('Healthy', { timeout: 45_000 });

  // Every change is in the audit trail.
  await expect(kms.audit).toContainText('Key health changed');
  expect(errors).toEqual([]);
});

test('expiry warning: a key that expires within the warning window says so, with the az command to extend or rotate it', async ({ page, request }) => {
  const { sim, kms, fresh } = await switchedToAzure(page, request, companyId('expiry'));
  const health = new KeyHealthPanel(page);
  const inTenDays = Math.floor(Date.now() / 1000) + 10 * 86_400;
  await sim.setExpiry(fresh.vault, inTenDays);
  await health.checkNowAndWait();
  await expect(health.expiry).toBeVisible();
  await expect(health.expiry.locator('pre code').first()).toContainText(`az keyvault key set-attributes --vault-name ${fresh.vault}`);
  await expect(health.expiry.getByRole('button', { name: 'Copy the Azure CLI commands, part 1' })).toBeVisible();
  // Azure PowerShell too (issue 17 item 3).
  const expiryTabs = health.expiry.getByRole('tablist', { name: 'Commands that extend or rotate the key' });
  await expiryTabs.getByRole('tab', { name: 'Azure PowerShell' }).click();
  await expect(health.expiry.locator('[role=tabpanel]:not([hidden]) pre code').last()).toHaveText(`Invoke-AzKeyVaultKeyRotation -VaultName '${fresh.vault}' -Name 'company-kek'`);
  await expiryTabs.getByRole('tab', { name: 'Azure CLI' }).click();
  await expect(health.region.getByTestId('key-expires')).toContainText('(in 10 days)');
  await health.expectState('Healthy');
  await kms.screenshot('key-health-expiry-warning');

  // Extended: the warning goes away.
  await sim.setExpiry(fresh.vault, null);
  await health.checkNowAndWait();
  await expect(health.expiry).toHaveCount(0);
});

test('Check configuration after the switch lists every problem at once, each with its fix, and changes nothing', async ({ page, request }) => {
  const { sim, kms, fresh, company, token } = await switchedToAzure(page, request, companyId('check'));
  const health = new KeyHealthPanel(page);
  const version = (await kms.currentProvider.getByTestId('version').textContent()).trim();
  const fingerprint = async () => (await (await request.get(`/api/companies/${company}/kms`, { headers: { Authorization: `Bearer ${token}` } })).json()).company_key.wrapped_fingerprint;
  const before = await fingerprint();
  await health.checkButton.click();
  await expect(health.checkSummary).toHaveText(/^No problems/);

  // Three things break at once: the key is disabled, its binding tag is
  // gone, and it expired an hour ago.
  await sim.setKeyAttributes(fresh.vault, { enabled: false, tags: {}, exp: Math.floor(Date.now() / 1000) - 3600 });
  await health.checkButton.click();
  await expect(health.checkSummary).toHaveText(/^[3-9] problems( and \d+ warnings?)? found in \d+ checks$/);
  await expect(health.problems.filter({ hasText: 'The key is disabled' })).not.toHaveCount(0);
  await expect(health.problems.filter({ hasText: 'keyswitch-company' })).not.toHaveCount(0);
  await expect(health.problems.filter({ hasText: 'The key has expired' })).not.toHaveCount(0);
  for (const item of await health.problems.all()) await expect(item).toContainText('How to fix it:');
  await kms.screenshot('check-configuration-problems');
  // Nothing changed: still Azure Key Vault with the same key version and
  // the same wrapped company key.
  await kms.expectProvider('Azure Key Vault');
  await expect(kms.currentProvider.getByTestId('version')).toHaveText(version);
  expect(await fingerprint()).toBe(before);
  await expect(kms.audit).toContainText('Configuration checked');
});

test('Check configuration before Save lists several problems of the new key at once', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = companyId('precheck');
  const fresh = await sim.freshTenant(uniqueSlug());
  await sim.company(company);
  const token = await sim.session({ companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  await kms.fillTarget(fresh.vaultUri, 'company-kek');
  const landing = await kms.testConnection({ consentAs: fresh.admin });
  await landing.expectLanding('Admin consent granted');
  await landing.page.close();
  await expect(kms.roleDialog).toBeVisible();
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await sim.bindKey(fresh.vault, company);
  await kms.completed.click();
  await expect(kms.success).toBeVisible();
  const health = new KeyHealthPanel(page);
  await expect(health.check).toContainText('tries the re-wrap');
  await sim.setExpiry(fresh.vault, Math.floor(Date.now() / 1000) - 3600);
  await sim.tagKey(fresh.vault, {});
  await health.checkButton.click();
  await expect(health.checkSummary).toHaveText(/^[2-9] problems( and \d+ warnings?)? found in \d+ checks$/);
  await expect(health.problems.filter({ hasText: 'keyswitch-company' })).not.toHaveCount(0);
  await expect(health.problems.filter({ hasText: 'The key has expired' })).not.toHaveCount(0);
  await kms.screenshot('check-configuration-before-save');
  // Nothing was saved: the setup still waits for Save.
  await expect(kms.save).toBeVisible();
  await kms.cancelSetup();
});

test('Re-wrap now: a rotated key is used at once, the history shows both versions, and the old version can be disabled', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { sim, kms, fresh } = await switchedToAzure(page, request, companyId('rewrap'));
  const health = new KeyHealthPanel(page);
  const oldVersion = (await kms.currentProvider.getByTestId('version').textContent()).trim();
  await expect(health.history.getByRole('row').filter({ hasText: oldVersion })).toContainText('in use');

  const newKid = await sim.rotateKey(fresh.vault);
  const newVersion = newKid.split('/').at(-1);
  await health.rewrapNow.click();
  await expect(kms.currentProvider.getByTestId('version')).toHaveText(newVersion, { timeout: 30_000 });
  await expect(health.history.getByRole('row').filter({ hasText: newVersion })).toContainText('in use');
  await expect(health.history.getByRole('row').filter({ hasText: oldVersion })).not.toContainText('in use');
  await kms.screenshot('key-versions-rewrapped');

  await expect(kms.audit).toContainText('Company key re-wrapped');
  // The customer disables the old version: nothing breaks, and Re-wrap now
  // again has nothing to do.
  await sim.disableKey(fresh.vault, { version: oldVersion });
  await page.reload();
  await expect(kms.currentProvider.getByTestId('version')).toHaveText(newVersion);
  await health.rewrapNow.click();
  await expect(health.rewrapNow).toBeEnabled();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(kms.currentProvider.getByTestId('version')).toHaveText(newVersion);
  expect(errors).toEqual([]);
});
