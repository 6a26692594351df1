// Manage KMS end to end, in Debian's Chromium, against the local stack: the
// SPA and the worker in workerd, the simulated RedApp, Entra ID, Key Vault and
// Google. Each test uses its own company and, where Microsoft's consent is
// involved, its own fresh Entra tenant and vault: no test depends on a consent
// another test left in the edge's cache (which the local stack keeps for only
// a few seconds anyway).
import { expect } from '@playwright/test';
import {
  test, ManageKmsPage, Sim, ConsentPopup, SCREENSHOTS, CONTOSO, FABRIKAM, GOOGLE_CUSTOMER,
  envelopeDataKey, openDataKey, recordSecret, checkScreen, watchErrors,
} from './pages.mjs';
import { readFile } from 'node:fs/promises';

const VAULT = 'https://contoso-kms.vault.azure.net/';
const run = Date.now().toString(36);
const companyId = (name) => `e2e-${name}-${run}`;
let tenants = 0;
const slug = () => { tenants += 1; return `${run.slice(-7)}t${tenants}`; };

async function signedIn(page, request, name, sets, role = 'company_admin') {
  const sim = new Sim(request);
  const company = companyId(name);
  await sim.company(company, sets);
  const token = await sim.session({ role, companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  return { sim, company, token, kms };
}

test('without a session: Sign in through RedApp, back with a session that leaves the URL', async ({ page }) => {
  const kms = new ManageKmsPage(page);
  await kms.open('acme');
  // The link carries this tab's random sign-in state (login-CSRF protection).
  await expect(kms.signIn).toHaveAttribute('href', /^\/api\/sign-in\?return_to=%2Fcompanies%2Facme%2Fkms&state=[0-9a-f]{64}$/);
  await kms.screenshot('sign-in');

  // Through RedApp's (simulated) sign-in page and back, the session in the
  // fragment; the SPA removes it from the address bar at once.
  await kms.signIn.click();
  await expect(page.getByRole('heading', { name: 'Sign in to RedApp' })).toBeVisible();
  await page.locator('form', { hasText: 'Casey Company-Admin' }).getByRole('button', { name: 'Sign in' }).click();
  await expect(kms.heading).toBeVisible();
  await expect(page).toHaveURL(/\/companies\/acme\/kms$/);
  await kms.expectProvider('CyberSentriq-Managed');
  expect(page.url()).not.toContain('session=');
  // The token is kept; the sign-in state was spent.
  expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
  // Who is signed in, for which company, on every screen.
  await expect(page.getByTestId('signed-in-as')).toHaveText('Signed in as Casey Company-Admin (company admin) · Company acme');
});

test('a role that may not manage KMS gets a clear message', async ({ page, request }) => {
  const sim = new Sim(request);
  const token = await sim.session({ role: 'company_user', companies: ['acme'] });
  const kms = new ManageKmsPage(page);
  await kms.open('acme', token);
  await expect(page.getByRole('alert').filter({ hasText: "Your role can't manage KMS" })).toBeVisible();
  await expect(kms.switchButton).toHaveCount(0);
  await kms.screenshot('forbidden-role');
});

test('an expired session goes back to Sign in through RedApp', async ({ page, request }) => {
  const sim = new Sim(request);
  const expired = await sim.session({ role: 'company_admin', companies: ['acme'] }).then(async () => {
    const resp = await request.post(`${process.env.SIM_URL}/_control/redapp/sessions`, {
      data: { sub: 'e2e', role: 'company_admin', companies: ['acme'], ttl_seconds: -3600 },
    });
    return (await resp.json()).token;
  });
  const kms = new ManageKmsPage(page);
  await kms.open('acme', expired);
  await expect(kms.signIn).toBeVisible();
});

test.describe('Common issues (seed table), part 1: the Vault URI field', () => {
  test('"The URI appears to contain the key path" as you type, and the same from the edge', async ({ page, request }) => {
    const { kms, company, token } = await signedIn(page, request, 'keypath', { m365: [CONTOSO] });
    await kms.switchButton.click();
    await expect(kms.vaultUri).toBeFocused();
    const pasted = 'https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef';
    await kms.vaultUri.fill(pasted);
    const error = kms.fieldError('Vault URI');
    await expect(error).toContainText('The URI appears to contain the key path');
    await expect(error).toContainText('Use only the vault base URI (https://contoso-kms.vault.azure.net). Put the key name (company-kek) in the separate Key Name field.');
    await expect(kms.vaultUri).toHaveAttribute('aria-invalid', 'true');
    await kms.screenshot('switch-form-key-path');

    // Submitting is refused in place, focus on the field at fault.
    await kms.keyName.fill('company-kek');
    await kms.testConnectionButton.click();
    await expect(kms.vaultUri).toBeFocused();

    // The edge says exactly the same.
    const resp = await request.post(`/api/companies/${company}/kms/switch`, {
      headers: { Authorization: `Bearer ${token}` },
      data: { vault_uri: pasted, key_name: 'company-kek' },
    });
    expect(resp.status()).toBe(400);
    const body = await resp.json();
    expect(body.code).toBe('uri_contains_key_path');
    expect(body.message).toBe('The URI appears to contain the key path');
    await expect(error).toContainText(body.fix);
  });

  test('"The URI appears to point to a secret"', async ({ page, request }) => {
    const { kms } = await signedIn(page, request, 'secret', { m365: [CONTOSO] });
    await kms.fillTarget('https://contoso-kms.vault.azure.net/secrets/db-password', 'db-password');
    const error = kms.fieldError('Vault URI');
    await expect(error).toContainText('The URI appears to point to a secret');
    await expect(error).toContainText('In the Azure Portal, open your Key Vault and go to Keys (not Secrets). Use an RSA key.');
    // Fixing the field clears the message.
    await kms.vaultUri.fill(VAULT);
    await expect(error).toHaveText('');
    await expect(kms.vaultUri).toHaveAttribute('aria-invalid', 'false');
  });
});

/** A company with one Microsoft 365 backup set and a fresh tenant + vault,
 * signed in, at the switch form with the values typed in. */
async function atSwitchForm(page, request, name, { keyName = 'company-kek', permissionModel, sets } = {}) {
  const sim = new Sim(request);
  const fresh = await sim.freshTenant(slug(), { permissionModel });
  const ctx = await signedIn(page, request, name, sets ?? { m365: [fresh.tenantId] });
  await ctx.kms.fillTarget(fresh.vaultUri, keyName);
  return { ...ctx, fresh };
}

test('Common issues: "The consent flow returns an error for the admin who tried it"', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { kms, fresh } = await atSwitchForm(page, request, 'norole');
  const landing = await kms.testConnection({ consentAs: fresh.plainUser });
  await landing.expectLanding('Admin consent was not completed');
  await expect(landing.page.getByText("doesn't have the Global Administrator or Privileged Role Administrator role")).toBeVisible();
  await checkScreen(landing.page, 'consent-landing-error');
  await landing.page.close();
  // The console says it too, with the fix, on the pending setup.
  const alert = kms.pending.getByRole('alert').filter({ hasText: "That user doesn't have the Global Administrator or Privileged Role Administrator role." });
  await expect(alert).toContainText('Ask an admin with the correct Entra role to grant consent.');
  await kms.screenshot('consent-user-lacks-role');
  await kms.cancelSetup();
  expect(errors).toEqual([]);
});

test('happy path, platform to Azure Key Vault as far as the edge goes: consent, role assignment, test, Save, Microsoft 365 + Google Workspace tenants', async ({ page, request }) => {
  const errors = watchErrors(page);
  const sim = new Sim(request);
  const fresh = await sim.freshTenant(slug());
  const { kms, company } = await signedIn(page, request, 'happy', { m365: [CONTOSO], google: [GOOGLE_CUSTOMER] });
  await kms.expectProvider('CyberSentriq-Managed');
  await kms.screenshot('manage-kms-platform');

  await kms.switchButton.click();
  await kms.fillTarget(fresh.vaultUri, 'company-kek');
  await kms.screenshot('switch-form');

  const landing = await kms.testConnection({ consentAs: fresh.admin });
  await landing.expectLanding('Admin consent granted');
  // The landing page stays open and is checked at the end: the consent
  // counts for 20 s in the test stack, and the three connection tests below
  // must run within them.

  // The role-assignment dialog opens by itself, filled in with the vault
  // name, and the change is announced once.
  await expect(kms.roleDialog).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Admin consent granted. Next: assign the Key Vault Crypto User role' })).toHaveCount(1);
  await expect(kms.completed).toBeFocused();
  await expect(kms.roleDialog).toContainText(fresh.vault);
  await expect(kms.roleDialog).toContainText('Key Vault Crypto User');
  await expect(kms.roleDialog.getByRole('button', { name: /^Copy/ }).first()).toBeVisible();
  // Next to the role: the key itself must name this company, with the
  // command filled in.
  const tagCommand = `az keyvault key set-attributes --vault-name ${fresh.vault} --name company-kek --tags keyswitch-company="${company}"`;
  await expect(kms.bindingStep.getByRole('tabpanel').locator('code')).toHaveText(tagCommand);
  await expect(kms.bindingStep.getByRole('button', { name: 'Copy the Azure CLI commands' })).toBeVisible();
  await kms.screenshot('role-dialog-tag-step');
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  // The role alone is not enough: the untagged key is refused in the dialog.
  await kms.completed.click();
  const missing = kms.roleDialog.getByRole('alert').filter({ hasText: 'The key is not bound to this company: it has no keyswitch-company tag' });
  await expect(missing).toContainText(tagCommand);
  await expect(missing).toContainText('Azure Portal');
  // The dialog's states are photographed here and checked by axe in the
  // role-dialog and access-denied tests (same dialog, same notices): a full
  // check takes seconds and the consent would expire before the last test.
  await kms.page.screenshot({ path: `${SCREENSHOTS}key-binding-missing.png`, fullPage: true });
  // Tagged for another company only: refused, and the fix keeps that id.
  await sim.tagKey(fresh.vault, { 'keyswitch-company': 'other-company' });
  await kms.completedAgain();
  const mismatch = kms.roleDialog.getByRole('alert').filter({ hasText: `The key is bound to other companies, not to ${company}` });
  await expect(mismatch).toContainText(`--tags keyswitch-company="other-company ${company}"`);
  await expect(mismatch).toContainText("The key's keyswitch-company tag names: other-company.");
  await kms.page.screenshot({ path: `${SCREENSHOTS}key-binding-mismatch.png`, fullPage: true });
  // The Azure admin runs the command from the dialog.
  await sim.bindKey(fresh.vault, company);
  await kms.completedAgain();
  await expect(kms.success).toBeVisible();
  await expect(kms.success).toBeFocused();
  await expect(kms.roleDialog).toBeHidden();
  await kms.screenshot('connection-test-passed');
  await kms.expectProvider('CyberSentriq-Managed');

  await kms.save.click();
  await expect(kms.tenants).toBeVisible();
  await expect(kms.tenantRow(CONTOSO)).toContainText('Microsoft 365');
  await expect(kms.tenantRow(CONTOSO)).toContainText('Not verified');
  await expect(kms.tenantRow(GOOGLE_CUSTOMER)).toContainText('Google Workspace');
  await expect(kms.tenants.getByRole('status')).toHaveText('0 of 2 tenants verified');
  await expect(kms.tenants.getByRole('button', { name: `Verify Microsoft 365 ${CONTOSO}` })).toBeVisible();
  await expect(kms.tenants.getByRole('button', { name: `Verify Google Workspace ${GOOGLE_CUSTOMER}` })).toBeVisible();
  await kms.screenshot('tenant-list');

  // The audit trail shows this setup's steps, each once where it happened once.
  for (const action of ['Switch to Azure Key Vault started', 'Saved']) {
    await expect(kms.audit.getByRole('cell', { name: action, exact: true })).toHaveCount(1);
  }
  await expect(kms.audit.getByRole('cell', { name: 'Connection test', exact: true }).first()).toBeVisible();
  await kms.screenshot('audit-trail');
  await checkScreen(landing.page, 'consent-landing-granted');
  await landing.page.close();
  expect(errors).toEqual([]);
});

test('Common issues: tenants keep showing as unverified (new backup set, wrong admin); verify each; finalize; export once', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { kms, sim, company, fresh } = await atSwitchForm(page, request, 'full', { sets: { m365: [CONTOSO], google: [GOOGLE_CUSTOMER] } });
  const dataKey = await envelopeDataKey(request, company);
  const consent = await kms.testConnection({ consentAs: fresh.admin });
  await consent.expectLanding('Admin consent granted');
  await consent.page.close();
  await expect(kms.roleDialog).toBeVisible();
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await sim.bindKey(fresh.vault, company);
  await kms.completed.click();
  await expect(kms.success).toBeVisible();
  await kms.save.click();
  await expect(kms.tenants.getByRole('status')).toHaveText('0 of 2 tenants verified');

  // A backup set added during setup brings a new tenant; Refresh shows it unverified.
  await sim.addM365(company, FABRIKAM);
  await kms.refresh.click();
  await expect(kms.tenantRow(FABRIKAM)).toContainText('Not verified');
  await expect(kms.tenants.getByRole('status')).toHaveText('0 of 3 tenants verified');
  await kms.screenshot('tenant-list-refreshed');

  // A delegated admin cannot verify Google Workspace: the reason shows on the row.
  let landing = await kms.verifyTenant('Google Workspace', GOOGLE_CUSTOMER, 'Dana Delegate');
  await landing.expectLanding('The tenant was not verified');
  await checkScreen(landing.page, 'verification-landing-error');
  await landing.page.close();
  await expect(kms.tenantRow(GOOGLE_CUSTOMER)).toContainText('Verification failed');
  await expect(kms.tenantRow(GOOGLE_CUSTOMER)).toContainText('Super Admin');
  await kms.screenshot('tenant-verification-failed');

  landing = await kms.verifyTenant('Google Workspace', GOOGLE_CUSTOMER, 'Sam Super');
  await landing.expectLanding('Tenant verified');
  await checkScreen(landing.page, 'verification-landing-verified');
  await landing.page.close();
  await expect(kms.tenantRow(GOOGLE_CUSTOMER)).toContainText('Verified');
  landing = await kms.verifyTenant('Microsoft 365', CONTOSO, 'Adele Vance');
  await landing.expectLanding('Tenant verified');
  await landing.page.close();
  await expect(kms.tenants.getByRole('status')).toHaveText('2 of 3 tenants verified');
  await kms.expectProvider('CyberSentriq-Managed');

  landing = await kms.verifyTenant('Microsoft 365', FABRIKAM, 'Fiona Fabrikam');
  await landing.expectLanding('Tenant verified');
  await landing.page.close();

  // Every tenant verified: the switch finishes by itself.
  await expect(page.getByRole('heading', { name: 'Switch complete' })).toBeVisible({ timeout: 30_000 });
  await kms.expectProvider('Azure Key Vault');
  await expect(kms.currentProvider).toContainText(fresh.vaultUri);
  await expect(kms.currentProvider).toContainText('company-kek');
  await kms.screenshot('switch-complete');

  // One export without re-verifying tenants, offered until a shown end,
  // and only to a recent sign-in: with a session signed in 15 minutes ago
  // the console sends the admin through RedApp's sign-in and back.
  await expect(page.getByTestId('export-until')).toContainText(/This offer ends \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  const stale = await sim.session({ companies: [company], authAgeSeconds: 900 });
  await page.evaluate((t) => sessionStorage.setItem('keyswitch.session', t), stale);
  await page.getByRole('button', { name: 'Export key' }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export the company key now?' });
  await exportDialog.getByRole('button', { name: 'Export key' }).click();
  const reauth = page.getByRole('alert').filter({ hasText: 'This action needs a recent sign-in' });
  await expect(reauth).toContainText('Exporting the company key needs a session signed in within the last 10 minutes');
  await expect(reauth).toContainText('Sign in to RedApp again (a sign-in within the last 10 minutes counts), then repeat the action.');
  await kms.screenshot('export-reauthentication-required');
  await page.getByRole('link', { name: 'Sign in again to export' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to RedApp' })).toBeVisible();
  const signInUrl = new URL(page.url());
  expect(signInUrl.searchParams.get('prompt')).toBe('login');
  const returnTo = signInUrl.searchParams.get('return_to');
  expect(returnTo).toMatch(new RegExp(`/companies/${company}/kms\\?resume=export$`));
  const state = signInUrl.searchParams.get('state');
  expect(state).toMatch(/^[0-9a-f]{64}$/);
  // RedApp sends the admin back with a fresh session and the same state.
  const fresh2 = await sim.session({ companies: [company] });
  await page.goto(`${returnTo}#session=${fresh2}&state=${state}`);
  await expect(exportDialog).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/companies/${company}/kms$`));
  await kms.screenshot('export-confirmation');
  const download = page.waitForEvent('download');
  await exportDialog.getByRole('button', { name: 'Export key' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${company}-company-key.json`);
  // The file holds the company key: it opens the data key made before the switch.
  const exported = JSON.parse(await readFile(await file.path(), 'utf8'));
  recordSecret('exported_key', exported.key);
  expect(exported.company_id).toBe(company);
  expect(exported.algorithm).toBe('AES-256-GCM');
  expect(exported.provider.kind).toBe('azure_key_vault');
  expect(Buffer.from(exported.key, 'base64')).toHaveLength(32);
  expect(openDataKey(exported.key, company, dataKey.wrapped)).toBe(dataKey.plaintext);
  await expect(page.getByText('A further export requires verifying every tenant again.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export key' })).toHaveCount(0);
  await expect(kms.audit).toContainText('Company key exported');
  await kms.screenshot('exported');
  // The export re-verification (audit stream's screen) through the same
  // checks: a round lists the tenants to verify again.
  await page.getByRole('button', { name: 'Verify every tenant again' }).click();
  await expect(page.getByRole('region', { name: 'Tenants to verify again' })
    .or(page.getByRole('heading', { name: 'Tenants to verify again' })).first()).toBeVisible();
  await kms.screenshot('export-reverification-round');
  expect(errors).toEqual([]);
});

test('Common issues: "Key not found in the vault" shows at the Key Name field, open, focused and prefilled; a pasted key URL is fixed in one click and tested without asking for consent again', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { kms, sim, company, fresh } = await atSwitchForm(page, request, 'nokey', { keyName: 'no-such-key' });
  const landing = await kms.testConnection({ consentAs: fresh.admin });
  await landing.expectLanding('Admin consent granted');
  await landing.page.close();
  await expect(kms.roleDialog).toBeVisible();
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await sim.bindKey(fresh.vault, company);
  await kms.completed.click();
  // Not a role problem: the dialog closes, and the failure shows once, at
  // the Key Name field, which is open, prefilled and focused.
  await expect(kms.roleDialog).toBeHidden();
  await expect(kms.keyName).toBeFocused();
  await expect(kms.keyName).toHaveValue('no-such-key');
  await expect(kms.vaultUri).toHaveValue(fresh.vaultUri);
  await expect(kms.keyName).toHaveAttribute('aria-invalid', 'true');
  const atField = kms.fieldError('Key Name');
  await expect(atField).toContainText('Key not found in the vault');
  await expect(atField).toContainText("Open the vault's Keys section in the Azure Portal and copy the exact key name.");
  await expect(kms.pending.getByText('Key not found in the vault')).toHaveCount(1);
  // Steps already done stay done; nothing asks for the consent just given.
  const steps = kms.pending.getByRole('list', { name: 'Setup progress' }).getByRole('listitem');
  await expect(steps.nth(0)).toContainText('Vault and key (needs attention)');
  await expect(steps.nth(1)).toContainText('Admin consent (done)');
  await expect(steps.nth(2)).toContainText('Role assignment (done)');
  await expect(kms.grantConsent).toHaveCount(0);
  await expect(kms.pending.getByText("Admin consent for the vault's tenant is still valid")).toBeVisible();
  await kms.screenshot('key-not-found');

  // The admin pastes the key's URL from the portal into the focused field:
  // the field recognises it and offers the fix in one click.
  const popups = [];
  page.on('popup', (p) => popups.push(p));
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(`${fresh.vaultUri}/keys/company-kek/0123456789abcdef0123456789abcdef`);
  await expect(atField).toContainText("This is the key's URL, not its name");
  const useIt = kms.pending.getByRole('button', { name: `Use vault ${fresh.vaultUri} and key company-kek` });
  await kms.screenshot('key-url-in-key-name');
  await useIt.click();
  await expect(kms.keyName).toHaveValue('company-kek');
  await expect(kms.vaultUri).toHaveValue(fresh.vaultUri);
  await expect(kms.keyName).toHaveAttribute('aria-invalid', 'false');
  await kms.testConnectionButton.click();
  // One test per company per 3 s on the test stack: wait it out if needed.
  const limited = page.getByRole('alert').filter({ hasText: 'A connection test ran moments ago: wait' });
  if (await limited.first().waitFor({ timeout: 1500 }).then(() => true, () => false)) {
    await page.waitForTimeout(3100);
    await kms.testConnectionButton.click();
  }
  await expect(kms.success).toBeVisible();
  expect(popups).toEqual([]);
  await expect(steps.nth(2)).toContainText('Role assignment (done)');
  await expect(steps.nth(3)).toContainText('Connection test (current step)');
  await expect(kms.pending.getByTestId('pending-key')).toHaveText('company-kek');
  await kms.cancelSetup();
  expect(errors).toEqual([]);
});

test('Common issues: the vault uses "vault access policy"', async ({ page, request }) => {
  const { kms, fresh } = await atSwitchForm(page, request, 'legacy', { permissionModel: 'access_policy' });
  await kms.testConnection({ consentAs: fresh.admin });
  await expect(kms.roleDialog).toBeVisible();
  await kms.completed.click();
  // A permission-model problem: it shows in the dialog, next to Completed.
  const alert = kms.roleDialog.getByRole('alert').filter({ hasText: 'vault access policy' });
  await expect(alert).toContainText('switch the vault to Azure role-based access control');
  await kms.screenshot('access-policy-vault');
  await page.keyboard.press('Escape');
  await kms.cancelSetup();
});

test('Common issues: "Forbidden" / "Access denied" during the connection test', async ({ page, request }) => {
  const { kms, fresh } = await atSwitchForm(page, request, 'norbac');
  await kms.testConnection({ consentAs: fresh.admin });
  await expect(kms.roleDialog).toBeVisible();
  // Completed before the Azure admin assigned the role.
  await kms.completed.click();
  const alert = kms.roleDialog.getByRole('alert').filter({ hasText: /Access denied|Forbidden/ });
  await expect(alert).toContainText('Ask your Azure admin to grant CyberSentriq the key-use permission on the vault, then retry the test.');
  await kms.screenshot('access-denied');
  await page.keyboard.press('Escape');
  await kms.cancelSetup();
});

test('Common issues: "Azure AD admin consent is required" when the consent step is skipped; a blocked popup falls back to a link', async ({ page, request, context }) => {
  const { kms, sim, company, fresh } = await atSwitchForm(page, request, 'consent');
  // Microsoft's consent opens, but the admin closes it without consenting.
  const popupEvent = page.waitForEvent('popup');
  await kms.testConnectionButton.click();
  const popup = await popupEvent;
  await expect(popup.getByRole('button', { name: `Sign in as ${fresh.admin}`, exact: true })).toBeVisible();
  await popup.close();
  await expect(kms.pending).toBeVisible();
  await page.getByRole('button', { name: "I've granted consent: test the connection" }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Azure AD admin consent is required' });
  await expect(alert).toHaveCount(1);
  await expect(alert).toContainText('Click Grant admin consent again and complete the flow with a Global Admin or Privileged Role Admin.');
  await kms.screenshot('admin-consent-required');

  // Popups blocked: the console offers Microsoft's page as a link instead.
  await page.evaluate(() => { window.open = () => null; });
  await kms.grantConsent.click();
  const fallback = page.getByRole('link', { name: "Open Microsoft's consent page" });
  await expect(fallback).toBeVisible();
  await kms.screenshot('popup-blocked');
  const tabEvent = context.waitForEvent('page');
  await fallback.click();
  const tab = new ConsentPopup(await tabEvent);
  await tab.acceptAs(fresh.admin);
  await tab.expectLanding('Admin consent granted');
  await tab.page.close();
  await page.bringToFront();
  await expect(kms.roleDialog).toBeVisible();
  await expect(kms.roleDialog).toContainText(fresh.vault);
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await sim.bindKey(fresh.vault, company);
  await kms.completed.click();
  await expect(kms.success).toBeVisible();
  await kms.cancelSetup();
});

test('the role dialog by keyboard; cancel part-way, with confirmation; the encryption stays as it was', async ({ page, request }) => {
  const { kms, fresh } = await atSwitchForm(page, request, 'cancel');
  await kms.testConnection({ consentAs: fresh.admin });
  await expect(kms.roleDialog).toBeVisible();
  await kms.screenshot('role-assignment-dialog');
  // Every command tab of the dialog passes the same checks (no connection
  // test follows here, so the 20 s consent of the test stack does not
  // matter).
  const roleTabs = kms.roleDialog.getByRole('tablist', { name: 'Commands that assign Key Vault Crypto User' });
  for (const [tab, name] of [['Azure PowerShell', 'powershell'], ['Terraform', 'terraform'], ['Bicep', 'bicep']]) {
    await roleTabs.getByRole('tab', { name: tab }).click();
    await expect(roleTabs.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
    await kms.screenshot(`role-dialog-${name}-tab`);
  }
  await roleTabs.getByRole('tab', { name: 'Azure CLI' }).click();

  // The role commands run as copied, for each tool: the scope is derived,
  // the connector's app id is the assignee; no placeholder anywhere.
  await expect(roleTabs.getByRole('tab')).toHaveText(['Azure CLI', 'Azure PowerShell', 'Terraform', 'Bicep']);
  const rolePanel = kms.roleDialog.locator('#role-commands').getByRole('tabpanel');
  await expect(rolePanel).toContainText(`VAULT_ID=$(az keyvault show --name ${fresh.vault} --query id -o tsv)`);
  await expect(rolePanel).toContainText('--assignee ');
  await expect(rolePanel).not.toContainText('<subscription-id>');
  await roleTabs.getByRole('tab', { name: 'Azure CLI' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(roleTabs.getByRole('tab', { name: 'Azure PowerShell' })).toBeFocused();
  await expect(rolePanel).toContainText(`Get-AzKeyVault -VaultName '${fresh.vault}'`);
  await roleTabs.getByRole('tab', { name: 'Terraform' }).click();
  await expect(rolePanel).toContainText('resource "azurerm_role_assignment"');
  await expect(rolePanel.getByRole('button', { name: 'Copy the Terraform file keyswitch-role.tf' })).toBeVisible();
  await roleTabs.getByRole('tab', { name: 'Bicep' }).click();
  await expect(rolePanel).toContainText("Microsoft.Authorization/roleAssignments@2022-04-01");
  await expect(rolePanel).toContainText('az ad sp show --id ');
  await kms.screenshot('role-dialog-bicep-tab');
  await checkScreen(page, 'role-dialog-bicep-tab');
  await roleTabs.getByRole('tab', { name: 'Azure CLI' }).click();


  // Tab stays inside the dialog; Escape closes it; it can be opened again.
  for (let i = 0; i < 12; i += 1) await page.keyboard.press('Tab');
  expect(await kms.roleDialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(kms.roleDialog).toBeHidden();
  const show = page.getByRole('button', { name: 'Show role assignment steps' });
  await show.focus();
  await page.keyboard.press('Enter');
  await expect(kms.roleDialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(show).toBeFocused();

  // Keep setting up changes nothing, and focus goes back to the button.
  await kms.cancelPending.click();
  await expect(kms.cancelDialog).toContainText('Your current encryption (CyberSentriq-Managed) stays unchanged.');
  await kms.screenshot('cancel-confirmation');
  await kms.cancelDialog.getByRole('button', { name: 'Keep setting up' }).click();
  await expect(kms.cancelDialog).toBeHidden();
  await expect(kms.cancelPending).toBeFocused();
  await expect(kms.pending).toBeVisible();

  await kms.cancelSetup();
  await kms.expectProvider('CyberSentriq-Managed');
  await expect(kms.pending).toHaveCount(0);
  await expect(kms.audit).toContainText('Pending setup cancelled');
  await kms.screenshot('cancelled');
});

test('readable at 360 px wide', async ({ page, request }) => {
  await page.setViewportSize({ width: 360, height: 780 });
  const { kms } = await signedIn(page, request, 'narrow', { m365: [CONTOSO], google: [GOOGLE_CUSTOMER] });
  await kms.switchButton.click();
  await kms.fillTarget('https://contoso-kms.vault.azure.net/keys/company-kek', 'company-kek');
  await expect(kms.fieldError('Vault URI')).toContainText('The URI appears to contain the key path');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await kms.screenshot('switch-form-360');
});
