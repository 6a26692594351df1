// Playwright end-to-end tests in Debian's Chromium against the local stack
// that scripts/test starts (KEYSWITCH_URL). Never downloads a browser; no
// retries, so flakiness shows.
import { defineConfig } from '@playwright/test';

const baseURL = process.env.KEYSWITCH_URL;
if (!baseURL) throw new Error('KEYSWITCH_URL is not set: run through scripts/test');

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs$/,
  retries: 0,
  workers: 1,
  // Each screen is also checked by axe twice and photographed three times
  // (checkScreen in pages.mjs): a few seconds per screen on a loaded machine.
  timeout: 180_000,
  reporter: [['list']],
  outputDir: '../../artifacts/playwright',
  use: {
    baseURL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
    trace: 'off',
  },
});
