// Accessibility (issue 17, item 5) beyond the axe checks every spec runs at
// each screen (checkScreen in pages.mjs): field errors keep their room (what
// follows a field does not move when its error appears, on the desktop and at
// 360 px, for the longest message each field can get; a text longer than the
// room is cut and "Show the whole fix" shows it),
// the vault screen's dialogs pass axe in both colour schemes, and moving
// between screens puts focus on the new screen's heading.
import { expect } from '@playwright/test';
import {
  test, ManageKmsPage, VaultsPage, VaultSim, Sim, CONTOSO,
  NARROW, checkScreen, expectErrorKeepsLayout, expectWholeErrorReadable, atRoleDialog, watchErrors,
} from './pages.mjs';

const run = Date.now().toString(36);
const VERSION = '0123456789abcdef0123456789abcdef';
const KEY_URL = `https://contoso-kms.vault.azure.net/keys/company-kek/${VERSION}`;
// The longest values the parsers read apart: a 24-letter vault name (Azure's
// limit) and a 127-letter key name (Key Vault's limit); a 63-letter vault
// name (longer than Azure allows: the message repeats it), a host of 200
// letters, and the longest fixed fix (a certificate's URL).
const LONGEST_KEY = 'k'.repeat(127);
const LONGEST_KEY_URL = `https://${'v'.repeat(24)}.vault.azure.net/keys/${LONGEST_KEY}/${VERSION}`;
const CERTIFICATE = 'https://contoso-kms.vault.azure.net/certificates/backup-cert';
const LONG_NAME = `https://${'a'.repeat(63)}.vault.azure.net`;
const LONG_HOST = `https://${'x'.repeat(60)}.${'y'.repeat(60)}.${'z'.repeat(60)}.example.com`;

// Every error a Manage KMS field can show while the admin types, each from a
// clean field, the longest ones included: [field, value, message, shown whole
// at] ('both': desktop and 360 px; 'desktop'; '': may be cut anywhere, then
// "Show the whole fix" shows it).
const SWITCH_FORM_ERRORS = [
  ['vaultUri', 'contoso-kms.vault.azure.net', 'The vault URI must start with https://', 'both'],
  ['vaultUri', 'https://contoso-kms.vault.azure.net/secrets/db-password', 'The URI appears to point to a secret', 'both'],
  ['vaultUri', KEY_URL, 'The URI appears to contain the key path', 'desktop'],
  ['vaultUri', LONGEST_KEY_URL, 'The URI appears to contain the key path', ''],
  ['vaultUri', CERTIFICATE, 'The URI appears to point to a certificate', 'desktop'],
  ['vaultUri', LONG_NAME, 'The vault name must be 3 to 24 characters long', ''],
  ['vaultUri', LONG_HOST, 'is not an Azure Key Vault or Managed HSM host', 'desktop'],
  ['keyName', 'company kek', 'The key name may contain only letters, digits and hyphens', 'both'],
  ['keyName', `company-kek/${VERSION}`, 'The key name must not include a version', 'both'],
  ['keyName', `${LONGEST_KEY}/${VERSION}`, 'The key name must not include a version', ''],
  ['keyName', KEY_URL, "This is the key's URL, not its name", 'desktop'],
  ['keyName', LONGEST_KEY_URL, "This is the key's URL, not its name", ''],
  ['keyName', 'k'.repeat(200), 'The key name must be at most 127 characters long', 'both'],
];

for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['360 px', NARROW]]) {
  test(`Manage KMS (${label}): a field's error appears without moving what follows it, however long; all of it can be read`, async ({ page, request }) => {
    await page.setViewportSize(viewport);
    const sim = new Sim(request);
    const company = `e2e-shift-${label === 'desktop' ? 'w' : 'n'}-${run}`;
    await sim.company(company);
    const token = await sim.session({ companies: [company] });
    const kms = new ManageKmsPage(page);
    await kms.open(company, token);
    await kms.switchButton.click();
    await expect(kms.vaultUri).toBeVisible();

    const cut = [];
    for (const [field, value, message, whole] of SWITCH_FORM_ERRORS) {
      const input = kms[field];
      await input.fill(field === 'vaultUri' ? 'https://contoso-kms.vault.azure.net' : 'company-kek');
      await expectErrorKeepsLayout(input, () => input.fill(value), message);
      const wasCut = await expectWholeErrorReadable(input);
      if (whole === 'both' || (whole === 'desktop' && label === 'desktop')) {
        expect(wasCut, `"${message}" (${value.length} characters typed) is shown whole at ${label}`).toBe(false);
      }
      if (wasCut) cut.push(message);
    }
    // "Enter the …" once a field was emptied.
    await kms.keyName.fill('company-kek');
    await expectErrorKeepsLayout(kms.keyName, () => kms.keyName.fill(''), 'Enter the key name');
    expect(await expectWholeErrorReadable(kms.keyName)).toBe(false);
    // The longest texts are cut (so the cut path was walked) at both widths.
    expect(cut.length, `texts cut at ${label}`).toBeGreaterThanOrEqual(label === 'desktop' ? 4 : 8);
    console.log(`field errors cut at ${label}: ${cut.length} of ${SWITCH_FORM_ERRORS.length}`);

    // The cut error and its button pass axe in both schemes.
    await kms.vaultUri.fill(CERTIFICATE);
    await checkScreen(page, `switch-form-long-error${label === 'desktop' ? '' : '-narrow'}`);
  });
}

// The vault screen's Azure dialog: its errors show when Create vault is
// pressed, one field at a time; each case is at another field than the one
// before, so its area starts empty.
for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['360 px', NARROW]]) {
  test(`vault screen (${label}): the Azure dialog's field errors keep their room, the longest ones too`, async ({ page, request }) => {
    await page.setViewportSize(viewport);
    const workspace = `e2e-ws-shift-${label === 'desktop' ? 'w' : 'n'}-${run}`;
    const token = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });
    const vaults = new VaultsPage(page);
    await vaults.open(workspace, token);
    await vaults.createButton.click();
    await vaults.createDialog.getByRole('textbox', { name: 'Vault name' }).fill('Finance');
    await vaults.createDialog.getByRole('button', { name: 'Next' }).click();
    const d = vaults.azureDialog;
    await expect(d).toBeVisible();
    const box = {
      clientId: d.getByRole('textbox', { name: 'Client ID' }),
      vaultUrl: d.getByRole('textbox', { name: 'Vault URL' }),
      keyName: d.getByRole('textbox', { name: 'Vault Key Name' }),
    };
    const valid = {
      clientId: '0f1e2d3c-4b5a-4697-8877-665544332211',
      vaultUrl: 'https://contoso-kms.vault.azure.net/',
      keyName: 'company-kek',
    };
    await d.getByRole('textbox', { name: 'Tenant ID' }).fill(CONTOSO);
    await d.getByLabel('Client Secret').fill('e2e-not-sent');
    // [field, value, message, shown whole at] as in the switch form above.
    const cases = [
      ['clientId', 'not-a-guid', 'The client ID must be a GUID', 'both'],
      ['vaultUrl', CERTIFICATE, 'The URI appears to point to a certificate', 'desktop'],
      ['keyName', LONGEST_KEY_URL, "This is the key's URL, not its name", ''],
      ['vaultUrl', LONGEST_KEY_URL, 'The URI appears to contain the key path', ''],
      // The dialog is a few pixels narrower than the switch form: at 360 px
      // this one's fix runs one line past the room.
      ['keyName', `company-kek/${VERSION}`, 'The key name must not include a version', 'desktop'],
      ['vaultUrl', LONG_HOST, 'is not an Azure Key Vault or Managed HSM host', 'desktop'],
    ];
    let cut = 0;
    for (const [field, value, message, whole] of cases) {
      for (const [f, v] of Object.entries(valid)) await box[f].fill(f === field ? value : v);
      await expectErrorKeepsLayout(box[field], () => d.getByRole('button', { name: 'Create vault' }).click(), message);
      const wasCut = await expectWholeErrorReadable(box[field]);
      if (whole === 'both' || (whole === 'desktop' && label === 'desktop')) {
        expect(wasCut, `"${message}" is shown whole at ${label}`).toBe(false);
      }
      if (wasCut) cut += 1;
    }
    expect(cut, `texts cut at ${label}`).toBeGreaterThanOrEqual(label === 'desktop' ? 1 : 4);
    await checkScreen(page, `vault-azure-dialog-long-error${label === 'desktop' ? '' : '-narrow'}`);
  });
}

test('vault screen: the dialogs pass axe in both schemes, and their field errors keep their room', async ({ page, request }) => {
  const workspace = `e2e-ws-a11y-${run}`;
  const secret = `e2e-secret-a11y-${run}`;
  const azure = new VaultSim(request);
  const clientId = await azure.app(`E2E A11y ${run}`, secret);
  await azure.grant('contoso-kms', clientId);
  const token = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });
  const vaults = new VaultsPage(page);
  await vaults.open(workspace, token);
  await expect(vaults.vaults).toContainText('No vaults yet');
  await checkScreen(page, 'vaults-empty');

  await vaults.createButton.click();
  await expect(vaults.createDialog).toBeVisible();
  const name = vaults.createDialog.getByRole('textbox', { name: 'Vault name' });
  await expectErrorKeepsLayout(name, () => vaults.createDialog.getByRole('button', { name: 'Next' }).click(), 'Enter');
  await checkScreen(page, 'vault-create-dialog');
  await name.fill('Finance');
  await vaults.createDialog.getByRole('button', { name: 'Next' }).click();
  await expect(vaults.azureDialog).toBeVisible();
  const d = vaults.azureDialog;
  const clientIdBox = d.getByRole('textbox', { name: 'Client ID' });
  await expectErrorKeepsLayout(clientIdBox, async () => {
    await clientIdBox.fill('not-a-guid');
    await d.getByRole('button', { name: 'Create vault' }).click();
  }, 'The client ID must be a GUID');
  await checkScreen(page, 'vault-azure-dialog');
  await clientIdBox.fill(clientId);
  await d.getByRole('textbox', { name: 'Tenant ID' }).fill(CONTOSO);
  await d.getByLabel('Client Secret').fill(secret);
  await d.getByRole('textbox', { name: 'Vault URL' }).fill('https://contoso-kms.vault.azure.net/');
  await d.getByRole('textbox', { name: 'Vault Key Name' }).fill('company-kek');
  await d.getByRole('button', { name: 'Create vault' }).click();
  await expect(vaults.status).toContainText('The vault Finance was created.');
  await checkScreen(page, 'vaults-list');

  // The items form: its refusals keep their room too.
  const secretName = vaults.items.getByRole('textbox', { name: 'Secret name' });
  await expectErrorKeepsLayout(secretName, () => vaults.items.getByRole('button', { name: 'Store secret' }).click(), 'Enter a name for the item');
  await secretName.fill('API key');
  const secretValue = vaults.items.getByLabel('Secret value');
  await expectErrorKeepsLayout(secretValue, () => vaults.items.getByRole('button', { name: 'Store secret' }).click(), 'Enter the password or secret value');

  await vaults.row('Finance').getByRole('button', { name: 'Replace client secret' }).click();
  const replace = page.getByRole('dialog', { name: 'Replace client secret' });
  await expect(replace).toBeVisible();
  await checkScreen(page, 'vault-replace-secret-dialog');
  await replace.getByRole('button', { name: 'Cancel' }).click();
  await expect(replace).toBeHidden();
});

// The role dialog's refusals of an untagged key and of a key tagged for
// another company, with the tag command's tabs. Checked here, each on its
// own company and fresh consent: the test stack counts a consent for 20 s
// (finalize.rs's max-age test relies on that), an axe check takes seconds,
// and the happy path in manage-kms.spec.mjs must run its three connection
// tests within one consent. Here the one connection test runs right after
// the consent, and the checks come after it.
test('the role dialog\'s key-binding refusals and the tag command\'s tabs pass axe in both schemes and at 360 px', async ({ page, request }) => {
  const errors = watchErrors(page);
  const refusals = [
    ['key-binding-missing', null, 'The key is not bound to this company'],
    ['key-binding-mismatch', 'other-company', 'The key is bound to other companies'],
  ];
  for (const [name, taggedFor, title] of refusals) {
    const company = `e2e-${name}-${run}`;
    const { sim, kms, fresh } = await atRoleDialog(page, request, company);
    await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
    if (taggedFor) await sim.tagKey(fresh.vault, { 'keyswitch-company': taggedFor });
    await kms.completedAgain();
    const refusal = kms.roleDialog.getByRole('alert').filter({ hasText: title });
    await expect(refusal).toBeVisible();
    await expect(refusal).toContainText(`keyswitch-company="${taggedFor ? `${taggedFor} ` : ''}${company}"`);
    await checkScreen(page, name);
    if (taggedFor) continue;
    // Every tab of the tag command (the Azure CLI tab is the one above).
    const tabs = kms.bindingStep.getByRole('tablist');
    const names = await tabs.getByRole('tab').allTextContents();
    expect(names.length, 'the tag step offers more than one tool').toBeGreaterThan(1);
    for (const tab of names.slice(1)) {
      await tabs.getByRole('tab', { name: tab }).click();
      await expect(tabs.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
      await checkScreen(page, `key-binding-tab-${tab.toLowerCase().replace(/[^a-z]+/g, '-')}`);
    }
  }
  expect(errors).toEqual([]);
});

test('moving between screens puts focus on the new screen\'s heading', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-focus-${run}`;
  await sim.company(company);
  const token = await sim.session({ sub: 'pat-focus', name: 'Pat Partner', role: 'partner_admin', companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  const crumb = page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Key Management' });
  await crumb.focus();
  await page.keyboard.press('Enter');
  const home = page.getByRole('heading', { name: 'Key Management', level: 1 });
  await expect(home).toBeFocused();
  await checkScreen(page, 'home');
  // The next Tab goes on from the heading, into the new screen.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Manage KMS' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(kms.heading).toBeFocused();
  await page.goBack();
  await expect(home).toBeFocused();

  // An address that names no screen.
  await page.goto('/companies');
  await expect(page.getByRole('heading', { name: 'Page not found', level: 1 })).toBeVisible();
  await checkScreen(page, 'not-found');
});
