// The audit trail as a security team uses it, and the export
// re-verification walked on screen (issue 17 items 4 and 6), in Debian's
// Chromium against the local stack.
import { expect } from '@playwright/test';
import { test, ManageKmsPage, Sim, switchedToAzure, VaultsPage, checkScreen, watchErrors } from './pages.mjs';
import { readFile } from 'node:fs/promises';

const run = Date.now().toString(36);

/** Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i += 1;
    } else cell += c;
  }
  return rows;
}

test('the audit trail: filter by action and outcome, page back, download CSV and JSON lines', async ({ page, request }) => {
  const errors = watchErrors(page);
  const sim = new Sim(request);
  const company = `e2e-audit-${run}`;
  await sim.company(company, {});
  // A display name a spreadsheet would run as a formula.
  const name = '=HYPERLINK("http://evil.example","x")';
  const token = await sim.session({ name, companies: [company] });
  const headers = { Authorization: `Bearer ${token}` };
  // 55 refused cancels and 2 configuration checks: more than one page of 50.
  for (let i = 0; i < 55; i += 1) {
    const resp = await request.post(`/api/companies/${company}/kms/cancel`, { headers });
    expect(resp.status()).toBe(409);
  }
  for (let i = 0; i < 2; i += 1) {
    expect((await request.post(`/api/companies/${company}/kms/check`, { headers })).status()).toBeLessThan(500);
  }
  const kms = new ManageKmsPage(page);
  await kms.open(company, token);
  const summary = kms.audit.getByTestId('audit-summary');
  await expect(summary).toHaveText('Showing 50 events; older events are not shown yet');
  const rows = kms.audit.locator('tbody tr');
  await expect(rows).toHaveCount(50);
  // Who and which request, on every row.
  await expect(rows.first().locator('td').nth(1)).toContainText('RedApp user · company admin');
  await expect(rows.first().locator('td').nth(1)).toContainText(name);
  await expect(rows.first().locator('td').nth(5)).toHaveText(/^[0-9a-f]{16}$|^[0-9A-Za-z-]{8,64}$/);
  await kms.screenshot('audit-trail');

  // Page back: everything, once.
  await kms.audit.getByRole('button', { name: 'Show older events' }).click();
  await expect(summary).toHaveText(/^Showing 5[7-9] events$/);
  await expect(kms.audit.getByRole('button', { name: 'Show older events' })).toHaveCount(0);
  const seqs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.seq)));
  expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(seqs.at(-1)).toBe(1);

  // Filter: refused cancels only.
  await kms.audit.getByLabel('Action').selectOption({ label: 'Pending setup cancelled' });
  await kms.audit.getByLabel('Outcome').selectOption('refused');
  await expect(summary).toHaveText('Showing 50 events that match the filter; older events are not shown yet');
  await expect(rows.locator('td:nth-child(3)').filter({ hasNotText: 'Pending setup cancelled' })).toHaveCount(0);
  await kms.screenshot('audit-trail-filtered');
  await kms.audit.getByRole('button', { name: 'Show older events' }).click();
  await expect(summary).toHaveText('Showing 55 events that match the filter');
  await kms.audit.getByLabel('Outcome').selectOption('succeeded');
  await expect(kms.audit.getByText('No event matches this filter.')).toBeVisible();
  await kms.audit.getByLabel('Outcome').selectOption('refused');
  await expect(summary).toHaveText(/that match the filter/);

  // Download the filtered trail as CSV: parsed back, a row per event.
  let download = page.waitForEvent('download');
  await kms.audit.getByRole('button', { name: 'Download CSV' }).click();
  let file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^audit-${company}-\\d{8}T\\d{6}Z\\.csv$`));
  const csv = parseCsv(await readFile(await file.path(), 'utf8'));
  expect(csv[0].slice(0, 4)).toEqual(['seq', 'time', 'at_ms', 'actor_kind']);
  const col = (n) => csv[0].indexOf(n);
  expect(csv.length - 1).toBe(55);
  for (const row of csv.slice(1)) {
    expect(row[col('action')]).toBe('cancel');
    expect(row[col('outcome')]).toBe('refused');
    expect(row[col('actor_kind')]).toBe('redapp_user');
    // The formula is neutralised: a leading apostrophe.
    expect(row[col('actor_name')]).toBe(`'${name}`);
    expect(row[col('request_id')]).not.toBe('');
  }

  // The whole trail as JSON lines, after clearing the filter.
  await kms.audit.getByLabel('Action').selectOption({ label: 'All actions' });
  await kms.audit.getByLabel('Outcome').selectOption({ label: 'All outcomes' });
  download = page.waitForEvent('download');
  await kms.audit.getByRole('button', { name: 'Download JSON lines' }).click();
  file = await download;
  expect(file.suggestedFilename()).toMatch(/\.jsonl$/);
  const lines = (await readFile(await file.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.length).toBe(seqs.length);
  expect(lines.map((l) => l.seq)).toEqual(seqs);
  expect(lines[0].actor_name).toBe(name);
  expect(errors).toEqual([]);
});

/** The export from the Done screen; returns the file's company key. */
async function exportKey(page) {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export key' }).click();
  await page.getByRole('dialog', { name: 'Export the company key now?' }).getByRole('button', { name: 'Export key' }).click();
  const file = await download;
  return JSON.parse(await readFile(await file.path(), 'utf8')).key;
}

test('export re-verification: verify every tenant again on screen, then export once more', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { sim, fresh, company, kms } = await switchedToAzure(page, request, `e2e-reverify-${run}`);
  const first = await exportKey(page);
  // A backup set added after the switch: its tenant is in the round.
  await sim.addM365(company, fresh.tenantId);
  await expect(page.getByText('A further export requires verifying every tenant again.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export key' })).toHaveCount(0);
  await kms.screenshot('export-needs-reverification');

  await page.getByRole('button', { name: 'Verify every tenant again' }).click();
  const round = page.getByRole('region', { name: 'Tenants to verify again' });
  await expect(round.getByRole('status')).toHaveText('0 of 1 tenants verified');
  await expect(round.getByRole('listitem').filter({ hasText: fresh.tenantId })).toContainText('Not verified');
  await kms.screenshot('export-reverification');
  const landing = await kms.verifyTenant('Microsoft 365', fresh.tenantId, fresh.admin);
  await landing.expectLanding('Tenant verified');
  await landing.page.close();
  // The last tenant verified: one more export, the same key.
  await expect(page.getByRole('button', { name: 'Export key' })).toBeVisible();
  await expect(round).toHaveCount(0);
  expect(await exportKey(page)).toBe(first);
  await expect(kms.audit).toContainText('Tenant re-verified for export');
  await expect(kms.audit).toContainText('Export available again');
  // The tenant's admin at Microsoft is named on the row.
  await expect(kms.audit.locator('tbody tr').filter({ hasText: 'Tenant re-verified for export' }).first())
    .toContainText('Admin at Microsoft');
  expect(errors).toEqual([]);
});

test('export re-verification with no backup sets opens only after the admin confirms', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { fresh, company, kms } = await switchedToAzure(page, request, `e2e-reverify-empty-${run}`);
  const first = await exportKey(page);
  await page.getByRole('button', { name: 'Verify every tenant again' }).click();
  const empty = page.getByTestId('export-nothing-to-verify');
  await expect(empty).toContainText('RedApp lists no backup sets for this company');
  // Nothing opened by itself.
  await expect(page.getByRole('button', { name: 'Export key' })).toHaveCount(0);
  await kms.screenshot('export-reverification-nothing-to-verify');
  // A backup set appears before the confirmation: it must be verified.
  const added = await request.post(`${process.env.SIM_URL}/_control/companies/${company}/backup-sets`, {
    data: { kind: 'microsoft365', tenant_id: fresh.tenantId, id: 'bs-late' },
  });
  expect(added.status(), await added.text()).toBeLessThan(300);
  await empty.getByRole('button', { name: 'Confirm there is nothing to verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'now name 1 tenant(s) to verify' })).toBeVisible();
  const round = page.getByRole('region', { name: 'Tenants to verify again' });
  await expect(round.getByRole('status')).toHaveText('0 of 1 tenants verified');
  // Removed again, read again: the confirmation counts.
  const resp = await request.delete(`${process.env.SIM_URL}/_control/companies/${company}/backup-sets/bs-late`);
  expect(resp.status(), await resp.text()).toBeLessThan(300);
  await page.getByRole('button', { name: 'Start again with the current backup sets' }).click();
  await expect(empty).toBeVisible();
  await empty.getByRole('button', { name: 'Confirm there is nothing to verify' }).click();
  await expect(page.getByRole('button', { name: 'Export key' })).toBeVisible();
  expect(await exportKey(page)).toBe(first);
  await expect(kms.audit).toContainText('Confirmed for export: no backup sets, nothing to verify');
  expect(errors).toEqual([]);
});

test('the export and its re-verification stay reachable after a later setup is cancelled', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { fresh, company, kms, token } = await switchedToAzure(page, request, `e2e-export-later-${run}`);
  // A later setup, started and then cancelled: the switch's export window
  // is still open, so the model still offers the export.
  const started = await request.post(`/api/companies/${company}/kms/switch`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { vault_uri: fresh.vaultUri, key_name: 'company-kek' },
  });
  expect(started.status(), await started.text()).toBe(200);
  // Opened again (a new page load: the same path with a new fragment alone
  // would not reload).
  await page.goto('/api/health');
  await kms.open(company, token);
  await expect(kms.pending).toBeVisible();
  // A consent of the last 20 s (the test stack's age) is reused, and the
  // setup waits at the role assignment with its dialog open: close it.
  if (await kms.roleDialog.isVisible()) {
    await page.keyboard.press('Escape');
    await expect(kms.roleDialog).toBeHidden();
  }
  const card = page.getByTestId('export-card');
  await expect(card.getByRole('heading', { name: 'Export the company key' })).toBeVisible();
  await expect(card.getByRole('button', { name: 'Export key' })).toBeVisible();
  await kms.screenshot('export-during-setup');
  await kms.cancelSetup();
  await expect(page.locator('#cancelled-note')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Switch complete' })).toHaveCount(0);
  await expect(card.getByTestId('export-until')).toContainText('This offer ends');
  await kms.screenshot('export-after-cancelled-setup');
  const first = await exportKey(page);
  // Used: the re-verification, on the same card, in the cancelled stage.
  await expect(card.getByText('A further export requires verifying every tenant again.')).toBeVisible();
  await card.getByRole('button', { name: 'Verify every tenant again' }).click();
  const empty = card.getByTestId('export-nothing-to-verify');
  await expect(empty).toContainText('RedApp lists no backup sets for this company');
  await kms.screenshot('export-reverification-after-cancelled-setup');
  await empty.getByRole('button', { name: 'Confirm there is nothing to verify' }).click();
  await expect(card.getByRole('button', { name: 'Export key' })).toBeVisible();
  expect(await exportKey(page)).toBe(first);
  await expect(kms.audit).toContainText('Confirmed for export: no backup sets, nothing to verify');
  await expect(kms.audit).toContainText('Pending setup cancelled');
  expect(errors).toEqual([]);
});

test('the vault trail: filter by action and outcome, page back, download CSV and JSON lines', async ({ page, request }) => {
  const errors = watchErrors(page);
  const workspace = `e2e-ws-audit-${run}`;
  const token = await new Sim(request).session({ role: 'workspace_owner', companies: [workspace] });
  const headers = { Authorization: `Bearer ${token}` };
  const created = await request.post(`/api/workspaces/${workspace}/vaults`, {
    headers, data: { name: 'Cloud', strategy: 'cloud' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const vault = (await created.json()).id;
  // 55 times "set as default": with the creation, more than one page of 50.
  for (let i = 0; i < 55; i += 1) {
    const resp = await request.post(`/api/workspaces/${workspace}/vaults/${vault}/default`, { headers });
    expect(resp.status()).toBe(200);
  }
  const vaults = new VaultsPage(page);
  await vaults.open(workspace, token);
  const trail = page.getByRole('region', { name: 'Audit trail' });
  const summary = trail.getByTestId('audit-summary');
  await expect(summary).toHaveText('Showing 50 events; older events are not shown yet');
  const rows = trail.locator('tbody tr');
  await expect(rows).toHaveCount(50);
  const first = rows.first().locator('td');
  await expect(first.nth(1)).toContainText('RedApp user · workspace owner');
  await expect(first.nth(2)).toHaveText('Default vault set');
  await expect(first.nth(3)).toHaveText('Cloud');
  await expect(first.nth(6)).toHaveText(/^[0-9A-Za-z-]{8,64}$/);
  await checkScreen(page, 'vaults-audit-trail');

  await trail.getByRole('button', { name: 'Show older events' }).click();
  await expect(summary).toHaveText('Showing 56 events');
  const seqs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.seq)));
  expect(seqs).toEqual(Array.from({ length: 56 }, (_, i) => 56 - i));
  await expect(rows.last().locator('td').nth(2)).toHaveText('Vault created');

  // Filter: the vault trail's own actions.
  await trail.getByLabel('Action').selectOption({ label: 'Vault created' });
  await expect(summary).toHaveText('Showing 1 event that match the filter');
  await trail.getByLabel('Outcome').selectOption('refused');
  await expect(trail.getByText('No event matches this filter.')).toBeVisible();
  await trail.getByLabel('Action').selectOption({ label: 'Default vault set' });
  await trail.getByLabel('Outcome').selectOption('succeeded');
  await expect(summary).toHaveText('Showing 50 events that match the filter; older events are not shown yet');
  await checkScreen(page, 'vaults-audit-trail-filtered');

  // The filtered trail as CSV: all 55, not only the page shown.
  let download = page.waitForEvent('download');
  await trail.getByRole('button', { name: 'Download CSV' }).click();
  let file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^vault-audit-${workspace}-\\d{8}T\\d{6}Z\\.csv$`));
  const csv = parseCsv(await readFile(await file.path(), 'utf8'));
  expect(csv[0]).toEqual(['seq', 'time', 'at_ms', 'actor_kind', 'actor', 'actor_name', 'actor_role',
    'action', 'vault_id', 'outcome', 'detail', 'request_id']);
  expect(csv.length - 1).toBe(55);
  for (const row of csv.slice(1)) {
    expect(row[7]).toBe('default_vault_set');
    expect(row[8]).toBe(vault);
    expect(row[9]).toBe('succeeded');
    expect(row[11]).not.toBe('');
  }

  // The whole trail as JSON lines.
  await trail.getByLabel('Action').selectOption({ label: 'All actions' });
  await trail.getByLabel('Outcome').selectOption({ label: 'All outcomes' });
  download = page.waitForEvent('download');
  await trail.getByRole('button', { name: 'Download JSON lines' }).click();
  file = await download;
  expect(file.suggestedFilename()).toMatch(/^vault-audit-.*\.jsonl$/);
  const lines = (await readFile(await file.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.seq)).toEqual(seqs);
  expect(lines.at(-1).action).toBe('vault_created');
  expect(errors).toEqual([]);
});
