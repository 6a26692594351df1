// After the switch (issue 14): Manage KMS keeps showing whether keyswitch can
// still use the customer's key — health with its cause and fix, through
// access lost and back without anyone touching keyswitch; the expiry warning
// with its az command; Check configuration listing every problem at once
// (before Save and after); the key-version history and Re-wrap now.
import { test, expect } from '@playwright/test';
import { KeyHealthPanel, switchedToAzure } from './pages.mjs';

const run = Date.now().toString(36);
const companyId = (name) => `e2e-${name}-${run}`;

/** Fails the test on any uncaught page error or console error. */
function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('Failed to load resource')) errors.push(m.text());
  });
  return errors;
}

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
