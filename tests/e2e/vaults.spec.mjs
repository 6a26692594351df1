// Vault management (seed 001) end to end in Debian's Chromium against the
// local stack: a Workspace Owner creates an Azure External Keys vault with
// the customer's own service principal, stores a secret, and the secret is
// unreadable while the simulated Azure admin revokes the app's access, then
// readable again once access is restored. Each test uses its own workspace
// and its own app registration.
import { expect } from '@playwright/test';
import { test, VaultsPage, VaultSim, Sim, CONTOSO, checkScreen, watchErrors } from './pages.mjs';

const run = Date.now().toString(36);
const KMS_VAULT = 'contoso-kms';
const VAULT_URL = 'https://contoso-kms.vault.azure.net/';

test('create an Azure External Keys vault, then revoke and restore access to the key', async ({ page, request }) => {
  const errors = watchErrors(page);
  const workspace = `e2e-ws-${run}`;
  const secret = `e2e-secret-${run}`;
  const azure = new VaultSim(request);
  const clientId = await azure.app(`E2E Vault Manager ${run}`, secret);
  await azure.grant(KMS_VAULT, clientId);
  const token = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });

  const vaults = new VaultsPage(page);
  await vaults.open(workspace, token);
  await expect(vaults.vaults).toContainText('No vaults yet');

  // An RSA 2048 key is refused with what was found.
  await vaults.startCreate({ name: 'Finance' });
  await vaults.fillAzure({ clientId, tenantId: CONTOSO, secret, vaultUrl: VAULT_URL, keyName: 'small-key' });
  await expect(vaults.azureDialog.getByRole('alert')).toContainText('The key must be RSA 4096, but it is RSA 2048');
  // The dialog shows the role commands for the values typed (issue 17 item 3).
  const createCommands = vaults.azureDialog.getByTestId('create-role-commands');
  await createCommands.getByText('Give this service principal the key first: the commands').click();
  await expect(createCommands.getByTestId('create-role-for')).toHaveText(`Key Vault Crypto User for client ID ${clientId} on ${KMS_VAULT}`);
  const createTabs = createCommands.getByRole('tablist', { name: 'Commands that give the service principal the key' });
  await expect(createTabs.getByRole('tab')).toHaveText(['Azure CLI', 'Azure PowerShell', 'Terraform', 'Bicep']);
  await expect(createCommands.getByRole('tabpanel')).toContainText(`--assignee ${clientId}`);
  await expect(createCommands.getByRole('tabpanel')).toContainText(`VAULT_ID=$(az keyvault show --name ${KMS_VAULT} --query id -o tsv)`);
  await createTabs.getByRole('tab', { name: 'Terraform' }).click();
  await expect(createCommands.getByRole('tabpanel')).toContainText(`client_id = "${clientId}"`);
  await checkScreen(page, 'vaults-create-commands');
  await createCommands.getByText('Give this service principal the key first: the commands').click();
  await expect(createCommands.getByRole('tabpanel')).toBeHidden();

  // The RSA 4096 key works; its URL pasted as the key name is recognised,
  // and one click puts the vault and the key in their fields (issue 17).
  const keyField = vaults.azureDialog.getByRole('textbox', { name: 'Vault Key Name' });
  await keyField.fill('https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef');
  await vaults.azureDialog.getByRole('button', { name: 'Create vault' }).click();
  await expect(vaults.azureDialog).toContainText("This is the key's URL, not its name");
  await vaults.azureDialog.getByRole('button', { name: 'Use vault https://contoso-kms.vault.azure.net and key company-kek' }).click();
  await expect(keyField).toHaveValue('company-kek');
  await expect(vaults.azureDialog.getByRole('textbox', { name: 'Vault URL' })).toHaveValue('https://contoso-kms.vault.azure.net');
  await vaults.azureDialog.getByRole('button', { name: 'Create vault' }).click();
  await expect(vaults.status).toContainText('The vault Finance was created.');
  await expect(vaults.azureDialog).toBeHidden();
  const row = vaults.row('Finance');
  await expect(row).toContainText('Azure External Keys');
  await expect(row).toContainText('Default');
  await expect(row).toContainText('Active');
  await expect(row).toContainText('Client secret: set');
  expect(await page.content()).not.toContain(secret);
  await checkScreen(page, 'vaults-created');

  // The role guidance names the vault's own service principal, for every
  // tool, runnable as copied (issue 17 item 3).
  const roleCommands = page.getByTestId('vault-role-commands');
  await expect(roleCommands.getByRole('heading', { name: 'Grant your service principal the key' })).toBeVisible();
  await roleCommands.getByText(`Finance: Key Vault Crypto User for client ID ${clientId}`).click();
  const roleTabs = roleCommands.getByRole('tablist', { name: 'Commands that assign Key Vault Crypto User for Finance' });
  await expect(roleTabs.getByRole('tab')).toHaveText(['Azure CLI', 'Azure PowerShell', 'Terraform', 'Bicep']);
  await expect(roleCommands.getByRole('tabpanel')).toContainText(`--assignee ${clientId}`);
  await expect(roleCommands.getByRole('tabpanel')).toContainText(`VAULT_ID=$(az keyvault show --name ${KMS_VAULT} --query id -o tsv)`);
  await roleTabs.getByRole('tab', { name: 'Azure PowerShell' }).click();
  await expect(roleCommands.getByRole('tabpanel')).toContainText(`New-AzRoleAssignment -ApplicationId '${clientId}'`);
  await checkScreen(page, 'vaults-role-commands');

  // A secret stored in the vault reads back.
  await vaults.storeSecret('API key', 'sk-live-e2e-123');
  await vaults.revealFirst();
  await expect(vaults.revealed.filter({ hasText: 'sk-live-e2e-123' })).toBeVisible();

  // The Azure admin revokes the app's role: nothing in the vault can be read.
  await azure.revoke(KMS_VAULT, clientId);
  await vaults.revealFirst();
  const refusal = vaults.items.getByRole('alert');
  await expect(refusal).toContainText('The Azure key that protects this vault is unreachable');
  await expect(refusal).toContainText('Key Vault Crypto User');
  // Beside the refusal: the commands that give the role back to the vault's
  // own service principal (issue 17 item 3).
  const fixTabs = vaults.items.getByRole('tablist', { name: 'Commands that fix it' });
  await expect(fixTabs.getByRole('tab')).toHaveText(['Azure CLI', 'Azure PowerShell', 'Terraform', 'Bicep']);
  await expect(vaults.items.locator('.notice-commands [role=tabpanel]:not([hidden])')).toContainText(`--assignee ${clientId}`);
  await expect(vaults.revealed.filter({ hasText: 'sk-live-e2e-123' })).toBeHidden();
  await expect(row).toContainText('Unreachable');
  await checkScreen(page, 'vaults-revoked');

  // Access restored: readable again, nothing lost.
  await azure.grant(KMS_VAULT, clientId);
  await vaults.revealFirst();
  await expect(vaults.revealed.filter({ hasText: 'sk-live-e2e-123' })).toBeVisible();
  await expect(row).toContainText('Active');
  expect(errors).toEqual([]);
});

test('a workspace member cannot manage vaults', async ({ page, request }) => {
  const workspace = `e2e-ws-member-${run}`;
  const token = await new Sim(request).session({ role: 'workspace_member', companies: [workspace] });
  const vaults = new VaultsPage(page);
  await vaults.open(workspace, token);
  await expect(vaults.vaults.getByRole('alert')).toContainText('Your role does not allow this action');
  await expect(vaults.vaults.getByRole('alert')).toContainText('Workspace Owner, Super Admin or Admin');
});
