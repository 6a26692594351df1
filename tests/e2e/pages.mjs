// Page objects for the console and the simulated outside world. Console
// locators go by role and accessible name, as a person (or a screen reader)
// finds things.
import { test as base, expect } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { appendFileSync, readFileSync } from 'node:fs';
import { createDecipheriv } from 'node:crypto';
import { join } from 'node:path';

const RECORD_DIR = process.env.KEYSWITCH_RECORD_DIR;

/** Appends one record for the secrets scan after the run
 * (tests/secrets/scan.py; the folder is set by start_stack). */
function record(file, value) {
  if (!RECORD_DIR) return;
  appendFileSync(join(RECORD_DIR, `${file}-e2e-${process.pid}.jsonl`), `${JSON.stringify(value)}\n`);
}

/** Records a secret the test handled (a session token, an exported key). */
export function recordSecret(kind, value) {
  if (typeof value === 'string' && value.length >= 8) record('secrets', { kind, value });
}

/** Playwright's `test` with one automatic fixture: every answer of the
 * worker the browser receives is recorded for the secrets scan (a company
 * key only in the export's own answer). Every spec imports `test` from here. */
export const test = base.extend({
  recordAnswers: [async ({ context }, use) => {
    const origin = process.env.KEYSWITCH_URL;
    const pending = [];
    context.on('response', (resp) => {
      const url = new URL(resp.url());
      if (!origin || url.origin !== new URL(origin).origin) return;
      const type = resp.headers()['content-type'] || '';
      if (!/json|html|text/.test(type)) return;
      const method = resp.request().method();
      pending.push(resp.text().then((body) => {
        record('responses', { method, path: url.pathname, status: resp.status(), body });
        if (resp.status() === 200 && url.pathname.endsWith('/kms/export')) {
          recordSecret('exported_key', JSON.parse(body).key);
        }
      }).catch(() => {}));
    });
    await use();
    await Promise.allSettled(pending);
  }, { auto: true }],
});

/** Collects the page's uncaught errors and console errors; a test ends with
 * `expect(errors).toEqual([])`. A refused API call logs "Failed to load
 * resource" in Chromium: the screen shows the refusal itself, which the tests
 * check, so that line is not counted. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('Failed to load resource')) errors.push(m.text());
  });
  return errors;
}

export const SCREENSHOTS = new URL('../../artifacts/screenshots/', import.meta.url).pathname;

/** The width of a small phone (WCAG 1.4.10 reflow asks for 320 CSS px). */
export const NARROW = { width: 360, height: 780 };

/** The axe rules whose outcome depends on colours (run again in dark). */
const DARK_RULES = ['color-contrast', 'link-in-text-block'];

/** axe-core's findings on this page as one line each (rule, impact, what it
 * asks, the first elements): what a failed assertion prints. */
async function axeViolations(page, rules) {
  const builder = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  if (rules) builder.withRules(rules);
  const results = await builder.analyze();
  return results.violations.map((v) => {
    const where = v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ');
    const why = v.nodes[0]?.failureSummary?.split('\n').slice(1, 3).join(' ').trim() ?? '';
    return `${v.id} (${v.impact}): ${v.help} — ${where}${why ? ` — ${why}` : ''}`;
  });
}

/** Screens whose README picture is one part of a long page (scripts/
 * screenshots.mjs): checkScreen also photographs that region (by its
 * accessible name), light scheme, as `<name>-region.png`. */
const README_REGIONS = {
  'audit-trail': 'Audit trail',
  'export-reverification': 'Switch complete',
  'vaults-audit-trail': 'Audit trail',
};

/**
 * Every screen and every dialog of the console (and the edge's landing
 * pages) passes through here, as it is on screen:
 *  - axe-core (every rule it runs by default: WCAG 2.x A/AA and its best
 *    practices) finds nothing, in the light and in the dark colour scheme;
 *  - at 360 px wide nothing scrolls sideways (WCAG 1.4.10: content reflows;
 *    a code block may scroll inside itself);
 *  - screenshots `<name>.png` (light), `<name>-dark.png` and `<name>-360.png`
 *    (and `<name>-region.png` for README_REGIONS) land in artifacts/screenshots/ (scripts/screenshots copies the README's
 *    set to docs/screenshots/).
 * The page is left as it was: light scheme, its own viewport.
 */
export async function checkScreen(page, name) {
  const viewport = page.viewportSize();
  const started = Date.now();
  try {
    const region = README_REGIONS[name];
    if (region) {
      await page.getByRole('region', { name: region, exact: true }).first()
        .screenshot({ path: `${SCREENSHOTS}${name}-region.png` });
    }
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      // Every rule in the light scheme; in the dark one only what the scheme
      // changes (colours): the markup, names and roles are the same page.
      const rules = colorScheme === 'dark' ? DARK_RULES : undefined;
      expect(await axeViolations(page, rules), `axe on "${name}" (${colorScheme} scheme)`).toEqual([]);
      const suffix = colorScheme === 'dark' ? '-dark' : '';
      await page.screenshot({ path: `${SCREENSHOTS}${name}${suffix}.png`, fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(NARROW);
    await page.screenshot({ path: `${SCREENSHOTS}${name}-360.png`, fullPage: true });
    const overflow = await page.evaluate(() => {
      const over = document.documentElement.scrollWidth - window.innerWidth;
      // Name the widest culprits, for the failure message.
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}`);
      return { over, wide };
    });
    expect(overflow.over, `"${name}" at ${NARROW.width} px scrolls sideways by ${overflow.over} px: ${overflow.wide.join(', ')}`).toBeLessThanOrEqual(0);
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
    if (viewport) await page.setViewportSize(viewport);
    if (process.env.KEYSWITCH_A11Y_TIMING) console.log(`checkScreen ${name}: ${Date.now() - started} ms`);
  }
}

export const CONTOSO = '72f988bf-0000-4c3a-9d6e-c0ffee000001';
export const FABRIKAM = 'a1b2c3d4-0000-4e5f-8a9b-fab000000002';
export const GOOGLE_CUSTOMER = 'C01abcdef';
export const GOOGLE_DOMAIN = 'example-workspace.test';

const SIM_URL = process.env.SIM_URL;
if (!SIM_URL) throw new Error('SIM_URL is not set: run through scripts/test');

/** This tab starts a sign-in as the console does: a random state in
 * sessionStorage (set on the console's origin first). Returns the state. */
export async function startSignIn(page) {
  if (!page.url().startsWith('http')) await page.goto('/api/health');
  return page.evaluate(() => {
    const bytes = new Uint8Array(32);
    crypto.getRandomValues(bytes);
    const state = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    sessionStorage.setItem('keyswitch.sign_in_state', state);
    return state;
  });
}

/** Opens `path` as RedApp's sign-in sends the admin back: the session and
 * this tab's sign-in state in the fragment. Without a token, just `path`. */
export async function openWithSession(page, path, token) {
  if (!token) {
    await page.goto(path);
    return;
  }
  const state = await startSignIn(page);
  await page.goto(`${path}#session=${token}&state=${state}`);
}

/** The simulator's control API: the outside world's state, set up by tests. */
export class Sim {
  constructor(request) {
    this.request = request;
  }

  async #post(path, data) {
    const resp = await this.request.post(`${SIM_URL}/_control${path}`, { data });
    expect(resp.status(), `${path}: ${await resp.text()}`).toBeLessThan(300);
    return resp.json().catch(() => ({}));
  }

  /** A RedApp session token; its holder signed in `authAgeSeconds` ago. */
  async session({ sub = 'e2e-admin', name = 'E2E Admin', role = 'company_admin', companies, authAgeSeconds = 0 }) {
    const { token } = await this.#post('/redapp/sessions', {
      sub, name, role, companies, ttl_seconds: 3600, auth_age_seconds: authAgeSeconds,
    });
    recordSecret('session_token', token);
    return token;
  }

  /** A company with Microsoft 365 / Google Workspace backup sets. */
  async company(id, { m365 = [], google = [] } = {}) {
    await this.#post('/companies', { id, name: `E2E ${id}` });
    for (const tenant_id of m365) await this.addM365(id, tenant_id);
    for (const customer_id of google) {
      await this.#post(`/companies/${id}/backup-sets`, {
        kind: 'google_workspace', customer_id, domain: GOOGLE_DOMAIN,
      });
    }
  }

  async addM365(company, tenant_id) {
    await this.#post(`/companies/${company}/backup-sets`, { kind: 'microsoft365', tenant_id });
  }

  /** The Azure admin assigns Key Vault Crypto User to the connector. */
  async assignCryptoUser(vault, tenant) {
    await this.#post(`/vaults/${vault}/role-assignments`, {
      principal: `connector:${tenant}`, role: 'Key Vault Crypto User',
    });
  }

  /** The Azure admin sets the tags of the key's current version, as
   * `az keyvault key set-attributes --tags` does (they replace the old ones). */
  async tagKey(vault, tags, key = 'company-kek') {
    const resp = await this.request.patch(`${SIM_URL}/_control/vaults/${vault}/keys/${key}`, { data: { tags } });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }

  /** The Azure admin binds the key to `company`: the tag step of the role
   * dialog (`keyswitch-company` names the company). */
  async bindKey(vault, company, key = 'company-kek') {
    await this.tagKey(vault, { 'keyswitch-company': company }, key);
  }

  /** A new Entra tenant with a Global Administrator (`admin`) and a user
   * without an admin role (`plainUser`), and a vault (RBAC unless told) with
   * an RSA key `company-kek`. Consents are kept per company, so every test
   * (its own company) walks through Microsoft's consent sign-in itself. */
  async freshTenant(slug, { permissionModel = 'rbac' } = {}) {
    const tenant = await this.#post('/tenants', { name: `E2E ${slug}` });
    const admin = `Gina ${slug}`;
    const plainUser = `Nora ${slug}`;
    await this.#post('/users', { tenant: tenant.id, name: admin, roles: ['Global Administrator'] });
    await this.#post('/users', { tenant: tenant.id, name: plainUser, roles: [] });
    const vault = `e2e${slug}`.slice(0, 24);
    await this.#post('/vaults', { name: vault, tenant: tenant.id, permission_model: permissionModel });
    await this.#post(`/vaults/${vault}/keys`, { name: 'company-kek', kty: 'RSA', size: 2048 });
    return { tenantId: tenant.id, admin, plainUser, vault, vaultUri: `https://${vault}.vault.azure.net` };
  }

  /** The customer removes the connector's service principal (consent gone). */
  async removeConsent(tenant) {
    const resp = await this.request.delete(`${SIM_URL}/_control/consents/${tenant}`);
    expect(resp.status()).toBeLessThan(300);
  }

  /** The customer grants admin consent again (the connector's service
   * principal is back in the tenant). */
  async restoreConsent(tenant) {
    await this.#post('/consents', { tenant });
  }

  /** The Azure admin removes every role of the connector on the vault. */
  async removeCryptoUser(vault, tenant) {
    const resp = await this.request.delete(
      `${SIM_URL}/_control/vaults/${vault}/role-assignments?principal=connector:${tenant}`,
    );
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }

  /** Changes the attributes of the key's current version (or `version`), as
   * `az keyvault key set-attributes` does: `enabled`, `exp`/`nbf` (Unix
   * seconds, `null` clears), `key_ops`, `tags`. */
  async setKeyAttributes(vault, attributes, { key = 'company-kek', version } = {}) {
    const data = version ? { ...attributes, version } : attributes;
    const resp = await this.request.patch(`${SIM_URL}/_control/vaults/${vault}/keys/${key}`, { data });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
    return resp.json();
  }

  /** The customer disables (or enables again) the key's current version. */
  async disableKey(vault, { key = 'company-kek', version, enabled = false } = {}) {
    return this.setKeyAttributes(vault, { enabled }, { key, version });
  }

  async enableKey(vault, options = {}) {
    return this.disableKey(vault, { ...options, enabled: true });
  }

  /** Sets the key's expiry (`exp`, Unix seconds; `null` removes it). */
  async setExpiry(vault, exp, options = {}) {
    return this.setKeyAttributes(vault, { exp }, options);
  }

  /** A new version of the key, as `az keyvault key rotate` (or a rotation
   * policy) makes it. Returns the new version's id (kid). The new version
   * carries the same tags, so the binding stays. */
  async rotateKey(vault, { key = 'company-kek' } = {}) {
    const before = await this.keyVersions(vault, key);
    const tags = before.at(-1)?.tags ?? {};
    const resp = await this.request.post(`${SIM_URL}/_control/vaults/${vault}/keys/${key}/rotate`);
    expect(resp.status(), await resp.text()).toBeLessThan(300);
    const versions = (await resp.json()).keys.find((k) => k.name === key).versions;
    const latest = versions.at(-1);
    if (Object.keys(latest.tags ?? {}).length === 0 && Object.keys(tags).length > 0) {
      await this.setKeyAttributes(vault, { tags }, { key });
    }
    return latest.kid;
  }

  /** The key's versions as the simulator holds them (oldest first). */
  async keyVersions(vault, key = 'company-kek') {
    const resp = await this.request.get(`${SIM_URL}/_control/state`);
    expect(resp.status()).toBe(200);
    const state = await resp.json();
    const v = (state.vaults ?? []).find((x) => x.name === vault);
    return v?.keys.find((k) => k.name === key)?.versions ?? [];
  }

  /** The vault's firewall denies (or allows again) keyswitch's address:
   * Key Vault answers 403 `ForbiddenByFirewall`. */
  async firewall(vault, enabled) {
    const resp = await this.request.put(`${SIM_URL}/_control/vaults/${vault}/firewall`, { data: { enabled } });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }

  /** The customer deletes the key (soft delete: recoverable during the
   * retention period), then recovers it, as `az keyvault key delete` /
   * `az keyvault key recover` do. */
  async softDeleteKey(vault, key = 'company-kek') {
    await this.#post(`/vaults/${vault}/keys/${key}/soft-delete`, {});
  }

  async recoverKey(vault, key = 'company-kek') {
    await this.#post(`/vaults/${vault}/deleted-keys/${key}/recover`, {});
  }

  /** Key Vault throttles the vault after `limit` requests (`null`: never). */
  async throttle(vault, limit) {
    const resp = await this.request.put(`${SIM_URL}/_control/vaults/${vault}/throttle`, { data: { limit } });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }
}

/** Microsoft's sign-in (simulated) in the popup: the admin-consent sign-in
 * (an OpenID Connect sign-in with prompt=admin_consent, the account picker of
 * the simulator's authorize page) or a tenant verification. */
export class ConsentPopup {
  constructor(page) {
    this.page = page;
  }

  /** Admin consent: `name` signs in on Microsoft's account picker and
   * consents for the tenant (only an admin may). */
  async acceptAs(name) {
    await expect(this.page.getByText('This request asks for admin consent')).toBeVisible();
    await this.page.getByRole('button', { name: `Sign in as ${name}`, exact: true }).click();
  }

  /** Microsoft's sign-in (code flow) or Google's account chooser. */
  async signInAs(name) {
    await this.page.getByRole('button', { name: new RegExp(`^(Sign in|Continue) as ${name}$`) }).click();
  }

  async expectLanding(heading) {
    await expect(this.page.getByRole('heading', { level: 1 })).toHaveText(heading);
  }
}

export class ManageKmsPage {
  constructor(page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'Manage KMS', level: 1 });
    this.currentProvider = page.getByRole('region', { name: 'Current provider' });
    this.switchSection = page.getByRole('region', { name: 'Switch to Azure Key Vault' });
    this.switchButton = page.getByRole('button', { name: 'Switch to Azure Key Vault' });
    this.vaultUri = page.getByRole('textbox', { name: 'Vault URI' });
    this.keyName = page.getByRole('textbox', { name: 'Key Name' });
    this.testConnectionButton = page.getByRole('button', { name: 'Test Connection' });
    this.pending = page.getByRole('region', { name: 'Pending setup: Azure Key Vault' });
    this.roleDialog = page.getByRole('dialog', { name: 'Assign the Key Vault Crypto User role' });
    this.completed = this.roleDialog.getByRole('button', { name: 'Completed' });
    this.bindingStep = this.roleDialog.getByRole('region', { name: 'Bind the key to this company' });
    this.success = page.getByRole('status').filter({ hasText: 'Connection test passed' });
    this.save = page.getByRole('button', { name: 'Save', exact: true });
    this.tenants = page.getByRole('region', { name: 'Tenants to verify' });
    this.refresh = this.tenants.getByRole('button', { name: 'Refresh' });
    this.cancelPending = page.getByRole('button', { name: 'Cancel pending setup' });
    this.cancelDialog = page.getByRole('dialog', { name: 'Cancel pending setup?' });
    this.grantConsent = page.getByRole('button', { name: 'Grant admin consent' });
    this.audit = page.getByRole('region', { name: 'Audit trail' });
    this.signIn = page.getByRole('link', { name: 'Sign in through RedApp' });
  }

  /** Opens Manage KMS as RedApp does: the session (and the console's
   * sign-in state) in the fragment. */
  async open(company, token) {
    await openWithSession(this.page, `/companies/${company}/kms`, token);
    await expect(this.heading.or(this.page.getByRole('heading', { name: 'Sign in through RedApp' }))).toBeVisible();
  }

  providerValue() {
    return this.currentProvider.getByRole('definition').first();
  }

  async expectProvider(name) {
    await expect(this.providerValue()).toHaveText(name);
  }

  async fillTarget(vaultUri, keyName) {
    // The form, or the button that opens it (the form's code may still be
    // on its way after a click: then neither shows for a moment).
    await expect(this.vaultUri.or(this.switchButton)).toBeVisible();
    if (await this.switchButton.isVisible()) await this.switchButton.click();
    await this.vaultUri.fill(vaultUri);
    await this.keyName.fill(keyName);
  }

  /** The inline error under a field (message + fix). */
  fieldError(field) {
    return fieldErrorArea(field === 'Vault URI' ? this.vaultUri : this.keyName);
  }

  /**
   * Test Connection. With `consentAs`, Microsoft's consent opens in a popup
   * and that admin accepts; the popup's landing page is returned.
   */
  async testConnection({ consentAs } = {}) {
    if (!consentAs) {
      await this.testConnectionButton.click();
      return null;
    }
    const popupEvent = this.page.waitForEvent('popup');
    await this.testConnectionButton.click();
    const popup = await popupEvent;
    const consent = new ConsentPopup(popup);
    await consent.acceptAs(consentAs);
    return consent;
  }

  /** Completed again: a `rate_limited` refusal (one connection test per
   * company per interval; 3 s in the test stack) shows its wait, is waited
   * out, and Completed is clicked once more. */
  async completedAgain() {
    await this.completed.click();
    const limited = this.page.getByRole('alert').filter({ hasText: 'A connection test ran moments ago: wait' });
    const refused = await limited.first().waitFor({ timeout: 1500 }).then(() => true, () => false);
    if (refused) {
      await expect(limited.first()).toContainText('then run the test again');
      await this.page.waitForTimeout(3100);
      await this.completed.click();
    }
  }

  async cancelSetup() {
    await this.cancelPending.click();
    await expect(this.cancelDialog).toBeVisible();
    await this.cancelDialog.getByRole('button', { name: 'Cancel pending setup' }).click();
    await expect(this.page.getByText('The pending setup was cancelled.')).toBeVisible();
  }

  /**
   * Verify one tenant: its admin signs in in the popup. Returns the landing
   * page (closed by the caller).
   */
  async verifyTenant(kind, id, adminName) {
    const popupEvent = this.page.waitForEvent('popup');
    await this.tenants.getByRole('button', { name: `Verify ${kind} ${id}` }).click();
    const popup = new ConsentPopup(await popupEvent);
    await popup.signInAs(adminName);
    return popup;
  }

  tenantRow(id) {
    return this.tenants.getByRole('listitem').filter({ hasText: id });
  }

  /** axe (light and dark), reflow at 360 px and the screenshots: see checkScreen. */
  async screenshot(name) {
    await checkScreen(this.page, name);
  }
}

/** Where everything after `input`'s error area sits (tag, id, box), relative
 * to the dialog or `<main>` it is in: what must not move when the error
 * appears. */
export async function boxesAfterFieldError(input) {
  return input.evaluate((el) => {
    const area = el.closest('.field')?.querySelector('.field-error');
    if (!area) throw new Error('this input has no .field-error area');
    const scope = el.closest('dialog[open]') ?? el.closest('main');
    // Positions relative to the form, which scrolls with what follows it:
    // a dialog or the page scrolling (a button brought into view) is not a
    // shift of the layout.
    const origin = (el.closest('form') ?? scope).getBoundingClientRect();
    // Elements that are not rendered (a closed dialog, a select's options)
    // have no box to move.
    // Another field's error area counts as one box: its text may change
    // (an earlier error goes when this one comes), its size may not.
    const after = [...scope.querySelectorAll('*')].filter((e) => !area.contains(e)
      && (area.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)
      && !e.parentElement?.closest('.field-error')
      && e.getClientRects().length > 0);
    return after.map((e) => {
      const r = e.getBoundingClientRect();
      const box = [r.x - origin.x, r.y - origin.y, r.width, r.height].map((n) => n.toFixed(1)).join(' ');
      return `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} ${box}`;
    });
  });
}

/** The error area under `input` (always present, fixed height). */
export function fieldErrorArea(input) {
  return input.locator('xpath=following-sibling::div[contains(@class,"field-error")]');
}

/** `act` makes `input`'s field error appear (its message `message`); nothing
 * after the field moves (issue 17: errors keep their room, whatever the
 * message, at any width). */
export async function expectErrorKeepsLayout(input, act, message) {
  const error = fieldErrorArea(input);
  await expect(error).toBeEmpty();
  const before = await boxesAfterFieldError(input);
  expect(before.length, 'there is something after the field to measure').toBeGreaterThan(0);
  await act();
  await expect(error).toContainText(message);
  // The area decides after layout whether its text is cut ("Show the whole
  // fix"): wait for that frame, then measure.
  await input.page().evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(await boxesAfterFieldError(input), `"${message}" moved what follows the field`).toEqual(before);
}

/**
 * The whole text of `input`'s field error can be read: either it fits its
 * area (no "Show the whole fix"), or the area cuts it and says so; that
 * button (aria-expanded) shows all of it, and "Show less" puts the layout
 * back exactly as it was. Returns whether the text was cut.
 */
export async function expectWholeErrorReadable(input) {
  const area = fieldErrorArea(input);
  const more = area.getByRole('button', { name: 'Show the whole fix' });
  const less = area.getByRole('button', { name: 'Show less' });
  const { fits, needed, room } = await area.evaluate((a) => {
    const t = a.querySelector('.field-error-text');
    const line = parseFloat(getComputedStyle(t).lineHeight);
    return { fits: t.scrollHeight <= a.clientHeight + 1, needed: t.scrollHeight / line, room: a.clientHeight / line };
  });
  // KEYSWITCH_LAYOUT_LINES=1: how many lines each text needs (to size the room).
  if (process.env.KEYSWITCH_LAYOUT_LINES) {
    console.log(`error lines at ${input.page().viewportSize()?.width} px: ${needed.toFixed(2)} needed, ${room.toFixed(2)} room: ${(await area.textContent()).slice(0, 60)}`);
  }
  if (fits) {
    await expect(more, 'a text that fits has no "Show the whole fix"').toHaveCount(0);
    return false;
  }
  await expect(more, 'a cut text offers "Show the whole fix"').toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await expect(more).toHaveAttribute('aria-controls', await area.locator('.field-error-text').getAttribute('id'));
  const cut = await boxesAfterFieldError(input);
  await more.click();
  await expect(less).toHaveAttribute('aria-expanded', 'true');
  const whole = await area.evaluate((a) => {
    const t = a.querySelector('.field-error-text');
    return { text: t.scrollHeight, shown: t.clientHeight };
  });
  expect(whole.text, 'after "Show the whole fix" every line shows').toBeLessThanOrEqual(whole.shown + 1);
  await less.click();
  await expect(more).toBeFocused();
  expect(await boxesAfterFieldError(input), '"Show less" puts the layout back').toEqual(cut);
  return true;
}

/** A short slug no other test of this run uses (tenant and vault names). */
export function uniqueSlug() {
  return `${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * A company (own Entra tenant, vault and key, no backup sets) on Manage KMS
 * with the role dialog open: the vault and key typed, Test Connection, and
 * the tenant's admin consented in Microsoft's popup (its landing closed).
 * The consent counts for 20 s in the test stack from here.
 */
export async function atRoleDialog(page, request, company) {
  const sim = new Sim(request);
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
  return { sim, kms, fresh, token };
}

/**
 * A company (own Entra tenant, vault and key, no backup sets) switched to
 * Azure Key Vault through the console, signed in on Manage KMS: consent,
 * role, tag, connection test, Save, "nothing to verify", finalized.
 */
export async function switchedToAzure(page, request, company) {
  const { sim, kms, fresh, token } = await atRoleDialog(page, request, company);
  await sim.assignCryptoUser(fresh.vault, fresh.tenantId);
  await sim.bindKey(fresh.vault, company);
  await kms.completed.click();
  await expect(kms.success).toBeVisible();
  await kms.save.click();
  await kms.tenants.getByRole('button', { name: 'Confirm there is nothing to verify' }).click();
  await expect(page.getByRole('heading', { name: 'Switch complete' })).toBeVisible({ timeout: 30_000 });
  await kms.expectProvider('Azure Key Vault');
  return { sim, kms, company, fresh, token };
}

/** The key-health part of Manage KMS (issue 14). */
export class KeyHealthPanel {
  constructor(page) {
    this.page = page;
    this.region = page.getByRole('region', { name: 'Key health' });
    this.badge = this.region.getByTestId('health-badge');
    this.status = this.region.getByTestId('health-status');
    this.checkNow = this.region.getByRole('button', { name: 'Check now' });
    this.expiry = this.region.getByTestId('expiry-warning');
    this.versions = page.getByRole('region', { name: 'Key versions' });
    this.rewrapNow = this.versions.getByRole('button', { name: 'Re-wrap now' });
    this.history = this.versions.getByRole('table');
    this.check = page.getByTestId('check-configuration');
    this.checkButton = this.check.getByRole('button', { name: 'Check configuration' });
    this.checkSummary = this.check.getByTestId('check-summary');
    this.problems = this.check.getByRole('list', { name: 'Problems found' }).getByRole('listitem');
  }

  /** Check now; a `rate_limited` refusal is waited out and it is clicked again. */
  async checkNowAndWait() {
    await this.checkNow.click();
    const limited = this.region.getByRole('alert').filter({ hasText: 'wait' });
    const refused = await limited.first().waitFor({ timeout: 1500 }).then(() => true, () => false);
    if (refused) {
      await expect(this.checkNow).toBeEnabled();
      await this.page.waitForTimeout(3100);
      await this.checkNow.click();
    }
  }

  async expectState(label, options) {
    await expect(this.badge).toHaveText(new RegExp(`${label}$`), options);
  }
}

/** Vault management (seed 001): the simulated customer's Azure side. */
export class VaultSim {
  constructor(request) {
    this.request = request;
  }

  /** A customer app registration in Contoso with one secret. */
  async app(name, secret) {
    const resp = await this.request.post(`${SIM_URL}/_control/apps`, {
      data: { tenant: CONTOSO, name, value: secret },
    });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
    return (await resp.json()).app.client_id;
  }

  /** Assigns (restores) Key Vault Crypto User on `vault` to the app. */
  async grant(vault, clientId, role = 'Key Vault Crypto User') {
    const resp = await this.request.post(`${SIM_URL}/_control/vaults/${vault}/role-assignments`, {
      data: { principal: `app:${clientId}`, role },
    });
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }

  /** Removes every role of the app on `vault` (access revoked). */
  async revoke(vault, clientId) {
    const resp = await this.request.delete(
      `${SIM_URL}/_control/vaults/${vault}/role-assignments?principal=app:${clientId}`,
    );
    expect(resp.status(), await resp.text()).toBeLessThan(300);
  }
}

export class VaultsPage {
  constructor(page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'Vault management', level: 1 });
    this.vaults = page.getByRole('region', { name: 'Vaults' });
    this.createButton = page.getByRole('button', { name: 'Create new vault' });
    this.createDialog = page.getByRole('dialog', { name: 'Create new vault' });
    this.azureDialog = page.getByRole('dialog', { name: 'Configure the Azure vault' });
    // The success notice (the audit trail's summary is a status too).
    this.status = page.locator('.notice-success[role="status"]');
    this.items = page.getByRole('region', { name: 'Items' });
    this.revealed = page.getByRole('definition');
  }

  /** Opens the screen as the host product does: the session (and the
   * console's sign-in state) in the fragment. */
  async open(workspace, token) {
    await openWithSession(this.page, `/workspaces/${workspace}/vaults`, token);
    await expect(this.heading).toBeVisible();
  }

  /** Step 1 of Create new vault. */
  async startCreate({ name, strategy = 'Azure External Keys', isDefault = true }) {
    await this.createButton.click();
    await expect(this.createDialog).toBeVisible();
    await this.createDialog.getByRole('textbox', { name: 'Vault name' }).fill(name);
    await this.createDialog.getByRole('combobox', { name: 'Strategy' }).selectOption({ label: strategy });
    const box = this.createDialog.getByRole('checkbox', { name: 'Set as default vault' });
    if (isDefault) await box.check(); else await box.uncheck();
    await this.createDialog.getByRole('button', { name: 'Next' }).click();
    await expect(this.azureDialog).toBeVisible();
  }

  /** Step 2: the Azure settings, then Create vault. */
  async fillAzure({ clientId, tenantId, secret, vaultUrl, keyName }) {
    const d = this.azureDialog;
    await d.getByRole('textbox', { name: 'Client ID' }).fill(clientId);
    await d.getByRole('textbox', { name: 'Tenant ID' }).fill(tenantId);
    await d.getByLabel('Client Secret').fill(secret);
    await d.getByRole('textbox', { name: 'Vault URL' }).fill(vaultUrl);
    await d.getByRole('textbox', { name: 'Vault Key Name' }).fill(keyName);
    await d.getByRole('button', { name: 'Create vault' }).click();
  }

  row(name) {
    return this.vaults.getByRole('row').filter({ hasText: name });
  }

  async storeSecret(name, value) {
    await this.items.getByRole('textbox', { name: 'Secret name' }).fill(name);
    await this.items.getByLabel('Secret value').fill(value);
    await this.items.getByRole('button', { name: 'Store secret' }).click();
  }

  async revealFirst() {
    await this.items.getByRole('button', { name: /^Reveal/ }).first().click();
  }
}

/** A data key from the envelope API (the backup engine's credential, read
 * from the stack's dev.vars): `{ plaintext, wrapped }`. */
export async function envelopeDataKey(request, company) {
  const vars = readFileSync(process.env.KEYSWITCH_DEV_VARS, 'utf8');
  const line = vars.split('\n').find((l) => l.startsWith('ENVELOPE_SERVICE_TOKEN='));
  if (!line) throw new Error('ENVELOPE_SERVICE_TOKEN is not in dev.vars');
  const token = line.slice('ENVELOPE_SERVICE_TOKEN='.length).replace(/^"|"$/g, '');
  const resp = await request.post(`/api/envelope/companies/${company}/data-keys`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(resp.status(), await resp.text()).toBe(200);
  return resp.json();
}

/** Opens a wrapped data key (`ksdk1.<id>.<nonce‖ciphertext‖tag>`, AES-256-GCM
 * bound to company and key id) with a company key (base64), as the backup
 * engine would with an exported key: the data key, base64. */
export function openDataKey(companyKey, company, wrapped) {
  const [prefix, keyId, body] = wrapped.split('.');
  expect(prefix).toBe('ksdk1');
  const sealed = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(companyKey, 'base64'), sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(`keyswitch/data-key/v1/${company}/${keyId}`));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('base64');
}
