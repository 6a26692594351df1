// Issue 15's cold-start lever: on Manage KMS, the page's inline script starts
// the first read of the company's KMS state while the wasm still downloads,
// and the app takes that answer instead of asking again. Only a session the
// console would accept is used for it: the stored one, or the fragment's
// when it carries this tab's sign-in state (login-CSRF protection); any
// other link's session is never sent anywhere.
import { expect } from '@playwright/test';
import { test, ManageKmsPage, Sim, startSignIn } from './pages.mjs';

const run = Date.now().toString(36);

/** Every request the page makes for `GET /api/companies/{company}/kms`,
 * with its bearer token and when it started relative to the wasm's. */
function kmsReads(page, company) {
  const reads = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (req.method() === 'GET' && url.pathname === `/api/companies/${company}/kms`) {
      reads.push({ token: (req.headers().authorization ?? '').replace(/^Bearer /, '') });
    }
  });
  return reads;
}

/** Resource timing: when the state read and the wasm download started. */
const timings = (company) => {
  const res = performance.getEntriesByType('resource');
  const kms = res.find((e) => new URL(e.name).pathname === `/api/companies/${company}/kms`);
  const wasm = res.find((e) => e.name.endsWith('_bg.wasm'));
  return { kmsStart: kms?.startTime ?? null, wasmEnd: wasm?.responseEnd ?? null, kmsCount: res.filter((e) => new URL(e.name).pathname === `/api/companies/${company}/kms`).length };
};

test('the first state read starts before the wasm has arrived and is made once', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-cold-${run}`;
  await sim.company(company);
  const token = await sim.session({ sub: 'casey-cold', name: 'Casey Cold', companies: [company] });
  const kms = new ManageKmsPage(page);
  const state = await startSignIn(page);
  const reads = kmsReads(page, company);
  // The wasm arrives a second late, as on a slow link: the read must start
  // while it is still on its way. Without the delay, the order would depend
  // on this machine's load (a busy CPU can run the inline script after a
  // loopback download has already finished); with it, only an app that
  // waits for its wasm to ask for the state fails.
  await page.route('**/*_bg.wasm', async (route) => {
    await new Promise((done) => setTimeout(done, 1000));
    await route.continue();
  });
  await page.goto(`/companies/${company}/kms#session=${token}&state=${state}`);
  await expect(kms.heading).toBeVisible();
  await kms.expectProvider('CyberSentriq-Managed');
  // One read, with the session, started before the wasm finished downloading.
  expect(reads).toEqual([{ token }]);
  const t = await page.evaluate(timings, company);
  expect(t.kmsCount).toBe(1);
  expect(t.kmsStart).not.toBeNull();
  expect(t.wasmEnd).not.toBeNull();
  expect(t.kmsStart).toBeLessThan(t.wasmEnd);
  // The prefetch is spent: nothing of it (nor the token) is left on the page.
  expect(await page.evaluate(() => '__keyswitchPrefetch' in window)).toBe(false);
  // Later reads go to the edge as before.
  await page.reload();
  await kms.expectProvider('CyberSentriq-Managed');
  expect(reads.length).toBe(2);
  expect(reads[1].token).toBe(token);
});

test('a session the console would not accept is never sent by the prefetch', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-cold-csrf-${run}`;
  await sim.company(company);
  const attacker = await sim.session({ sub: 'mallory-cold', name: 'Mallory', companies: [company] });
  const reads = kmsReads(page, company);
  // No state, then a state that is not this tab's.
  await page.goto(`/companies/${company}/kms#session=${attacker}`);
  await expect(page.getByRole('heading', { name: 'Sign in through RedApp' })).toBeVisible();
  await startSignIn(page);
  await page.goto(`/companies/${company}/kms?x=1#session=${attacker}&state=${'f'.repeat(64)}`);
  await expect(page.getByRole('heading', { name: 'Sign in through RedApp' })).toBeVisible();
  expect(reads.filter((r) => r.token === attacker)).toEqual([]);
  expect(await page.evaluate(() => '__keyswitchPrefetch' in window)).toBe(false);
});

test('a signed-in admin\'s stored session is prefetched when a link carries another one', async ({ page, request }) => {
  const sim = new Sim(request);
  const company = `e2e-cold-keep-${run}`;
  await sim.company(company);
  const admin = await sim.session({ sub: 'pat-cold', name: 'Pat Cold', companies: [company] });
  const other = await sim.session({ sub: 'eve-cold', name: 'Eve', companies: [company] });
  const kms = new ManageKmsPage(page);
  await kms.open(company, admin);
  await kms.expectProvider('CyberSentriq-Managed');
  const reads = kmsReads(page, company);
  await page.goto(`/companies/${company}/kms?again=1#session=${other}&state=${'0'.repeat(64)}`);
  await kms.expectProvider('CyberSentriq-Managed');
  // The link's session is ignored, the stored one read once (prefetched).
  expect(reads).toEqual([{ token: admin }]);
  expect((await page.evaluate(timings, company)).kmsCount).toBe(1);
});
