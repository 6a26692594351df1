// SPA start for scripts/bench: how long a user waits, in headless Chromium,
// from starting the navigation to Manage KMS until the current provider is
// shown (the screen's content, fetched from the edge), median of RUNS.
//   cold: a fresh browser context each run (empty HTTP cache: download + compile the wasm)
//   warm: the same context again (HTTP cache filled)
//   baseline: navigating to GET /api/health (one tiny response, same browser,
//             same worker): the floor of "navigation to content" on this machine.
// Usage: KEYSWITCH_URL=... node spa_start.mjs TOKEN [RUNS]; prints JSON.
import { chromium } from 'playwright-core';

const base = process.env.KEYSWITCH_URL;
const token = process.argv[2];
const runs = Number(process.argv[3] || 5);
if (!base || !token) throw new Error('usage: KEYSWITCH_URL=... spa_start.mjs TOKEN [RUNS]');
// The console takes a session from the fragment only with the sign-in state
// this tab stored (login-CSRF protection): each context stores one before
// any page script runs, as the console's own sign-in link would have.
const state = 'b'.repeat(64);
const url = `${base}/companies/acme/kms#session=${token}&state=${state}`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Where a start's time goes, by the page's own clock (ms since the
// navigation started): the HTML answered, the wasm (and its JS glue)
// downloaded, the app started (Trunk's TrunkApplicationStarted: wasm
// compiled, instantiated and mounted), and the Manage KMS state answered.
function phases() {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const end = (pred) => {
    const e = res.find(pred);
    return e ? e.responseEnd : null;
  };
  return {
    html: nav ? nav.responseEnd : null,
    wasm_downloaded: end((e) => e.name.endsWith('_bg.wasm')),
    app_started: window.__keyswitchStarted ?? null,
    state_answered: end((e) => /\/api\/companies\/[^/]+\/kms$/.test(new URL(e.name).pathname)),
    wasm_transferred_bytes: res.find((e) => e.name.endsWith('_bg.wasm'))?.transferSize ?? null,
  };
}

async function timeToProvider(page) {
  await page.goto('about:blank');
  const provider = page.getByRole('region', { name: 'Current provider' }).getByRole('definition').first();
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  await provider.waitFor({ state: 'visible', timeout: 30_000 });
  const ms = performance.now() - t0;
  const text = (await provider.textContent())?.trim();
  const at = await page.evaluate(phases);
  return { ms, text, phases: at };
}

async function timeToHealth(page) {
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(`${base}/api/health`, { waitUntil: 'load' });
  const ms = performance.now() - t0;
  return { ms, text: (await page.textContent('body'))?.trim() };
}

// launch() gives the browser a fresh temporary profile of its own.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const cold = [], warm = [], health = [], coldPhases = [];
  let shown = null;
  for (let i = 0; i <= runs; i++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript((s) => {
      try { sessionStorage.setItem('keyswitch.sign_in_state', s); } catch { /* about:blank */ }
      addEventListener('TrunkApplicationStarted', () => { window.__keyswitchStarted = performance.now(); });
    }, state);
    const page = await ctx.newPage();
    const c = await timeToProvider(page);
    const w = await timeToProvider(page);
    const h = await timeToHealth(page);
    await ctx.close();
    if (i === 0) continue; // warm-up run: not counted
    cold.push(c.ms); warm.push(w.ms); health.push(h.ms); coldPhases.push(c.phases);
    shown = c.text;
  }
  const out = {
    runs,
    provider_shown: shown,
    cold_ms_median: median(cold),
    warm_ms_median: median(warm),
    health_ms_median: median(health),
    cold_ms: cold, warm_ms: warm, health_ms: health,
    // Median of each phase over the cold starts (null where a run lacked it).
    cold_phases_ms_median: Object.fromEntries(
      ['html', 'wasm_downloaded', 'app_started', 'state_answered', 'wasm_transferred_bytes'].map((k) => {
        const xs = coldPhases.map((p) => p[k]).filter((v) => typeof v === 'number');
        return [k, xs.length ? median(xs) : null];
      }),
    ),
    cold_phases: coldPhases,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
} finally {
  await browser.close();
}
