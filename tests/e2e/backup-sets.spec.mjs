// Tenant verification fails closed, in the console (issue 13, item 3): a
// backup set keyswitch cannot verify is listed with why and how to fix it
// and blocks the switch until it is corrected; a company without backup sets
// switches only after the admin confirms there is nothing to verify.
import { expect } from '@playwright/test';
import { test, ManageKmsPage, Sim } from './pages.mjs';

const run = Date.now().toString(36);
let n = 0;
const slug = () => { n += 1; return `${run.slice(-7)}b${n}`; };

/** A company with these backup sets (raw, as RedApp lists them), signed in,
 * through consent, role assignment and the connection test. */
async function tested(page, request, name, sets) {
  const sim = new Sim(request);
  const fresh = await sim.freshTenant(slug());
  const company = `e2e-${name}-${run}`;
  await sim.company(company);
  for (const set of sets(fresh)) {
    const resp = await request.post(`${process.env.SIM_URL}/_control/companies/${company}/backup-sets`, { data: set });
    expect(resp.status()).toBe(201);
  }
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
  return { kms, sim, company, fresh };
}

test('a backup set that cannot be verified blocks Save, is listed with why and the fix, and Refresh after the correction lets the switch finish', async ({ page, request }) => {
  const { kms, company, fresh } = await tested(page, request, 'blocked', (f) => [
    { kind: 'microsoft365', id: 'bs-ok', tenant_id: f.tenantId },
    { kind: 'microsoft365', id: 'bs-domain', name: 'Contoso mail', tenant_id: 'contoso.onmicrosoft.com' },
  ]);
  await kms.save.click();
  await expect(kms.tenants).toBeVisible();
  const message = 'Backup set "Contoso mail" (bs-domain) can\'t be verified: its Microsoft 365 tenant is given as the domain "contoso.onmicrosoft.com" instead of the tenant ID (a GUID)';
  const fix = 'Correct backup set "Contoso mail" (bs-domain) in RedApp (a Microsoft 365 set needs its tenant ID, a GUID; a Google Workspace set its customer ID, like C03az79cb), or remove it, then select Refresh.';
  // The setup's alert, and the set's own row in the list.
  const alert = kms.pending.getByRole('alert').filter({ hasText: message });
  await expect(alert).toContainText(fix);
  const row = kms.tenants.getByRole('list', { name: "Backup sets that can't be verified" }).getByRole('listitem');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Contoso mail');
  await expect(row).toContainText('bs-domain');
  await expect(row).toContainText("Can't be verified");
  await expect(row).toContainText(message);
  await expect(kms.tenants.getByRole('status')).toHaveText("0 of 1 tenants verified; 1 backup set can't be verified");
  await kms.screenshot('backup-set-unverifiable');

  // Verifying the other tenant does not finish the switch.
  const landing = await kms.verifyTenant('Microsoft 365', fresh.tenantId, fresh.admin);
  await landing.expectLanding('Tenant verified');
  await landing.page.close();
  await expect(kms.tenants.getByRole('status')).toHaveText("1 of 1 tenants verified; 1 backup set can't be verified");
  await kms.expectProvider('CyberSentriq-Managed');

  // Refresh while it is still listed: refused again, shown once (not a second alert).
  await kms.refresh.click();
  await expect(kms.tenants.getByRole('button', { name: 'Refresh' })).toBeEnabled();
  await expect(page.getByRole('alert').filter({ hasText: message })).toHaveCount(1);
  await expect(row).toContainText(message);

  // Corrected in RedApp (removed), then Refresh: the switch finishes.
  const del = await request.delete(`${process.env.SIM_URL}/_control/companies/${company}/backup-sets/bs-domain`);
  expect(del.status()).toBe(204);
  await kms.refresh.click();
  await expect(page.getByRole('heading', { name: 'Switch complete' })).toBeVisible({ timeout: 30_000 });
  await kms.expectProvider('Azure Key Vault');
});

test('a company without backup sets switches only after the admin confirms there is nothing to verify', async ({ page, request }) => {
  const { kms } = await tested(page, request, 'nosets', () => []);
  await kms.save.click();
  await expect(kms.tenants).toBeVisible();
  await expect(kms.tenants).toContainText('RedApp lists no backup sets for this company, so there is no Microsoft 365 or Google Workspace tenant to verify.');
  await expect(kms.tenants).toContainText('If that is right (this company backs up nothing yet), confirm it to finish the switch.');
  const confirm = kms.tenants.getByRole('button', { name: 'Confirm there is nothing to verify' });
  await expect(confirm).toBeVisible();
  await kms.screenshot('no-backup-sets');
  // Nothing happens by itself.
  await page.waitForTimeout(1500);
  await expect(confirm).toBeVisible();
  await kms.expectProvider('CyberSentriq-Managed');
  await confirm.click();
  await expect(page.getByRole('heading', { name: 'Switch complete' })).toBeVisible({ timeout: 30_000 });
  await kms.expectProvider('Azure Key Vault');
  await expect(kms.audit).toContainText('Confirmed: no backup sets, nothing to verify');
});
