// The walking skeleton in a real browser: the SPA's Manage KMS screen shows
// the provider the worker's Durable Object reports and the backup-set count
// the worker read from the simulated inventory.
import { test, expect } from '@playwright/test';
import { ManageKmsPage, SCREENSHOTS } from './pages.mjs';

test('Manage KMS shows the current provider and the backup sets', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  const kms = new ManageKmsPage(page);
  await kms.open('acme');
  await expect(kms.providerValue()).toHaveText('CyberSentriq-Managed');
  await expect(kms.backupSetsValue()).toHaveText('2');
  await page.screenshot({ path: `${SCREENSHOTS}manage-kms.png`, fullPage: true });
  expect(errors).toEqual([]);
});

test('an invalid company shows the refusal next to the provider', async ({ page }) => {
  const kms = new ManageKmsPage(page);
  await kms.open('bad%20id');
  await expect(kms.currentProvider.getByRole('alert')).toContainText('The company id is not valid.');
});
