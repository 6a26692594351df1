// Refreshes the README's screenshots (docs/screenshots/) from the ones the
// Playwright run just wrote (artifacts/screenshots/: every screen and dialog
// in light, dark and at 360 px, by checkScreen in tests/e2e/pages.mjs).
// Each is scaled down and saved as a palette PNG, so the committed set stays
// small. A screenshot the run did not write is an error: the README never
// shows a stale or missing picture. Run by scripts/screenshots.
import { mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const root = new URL('..', import.meta.url).pathname;
const from = join(root, 'artifacts/screenshots');
const to = join(root, 'docs/screenshots');

/** The README's set: [file in artifacts/screenshots, width to scale to].
 * Full-page shots are cut to the first screenful or so (MAX_HEIGHT at that
 * width): what the README shows is the top of each screen. */
export const SET = [
  ['switch-form.png', 800],
  ['switch-form-dark.png', 800],
  ['role-assignment-dialog.png', 800],
  ['connection-test-passed.png', 800],
  ['tenant-list.png', 800],
  ['switch-complete.png', 800],
  ['key-health-healthy-dark.png', 800],
  ['check-configuration-problems.png', 800],
  ['vaults-list.png', 800],
  ['consent-landing-granted.png', 800],
  // Parts of long pages (README_REGIONS in tests/e2e/pages.mjs).
  ['audit-trail-region.png', 800],
  ['export-reverification-region.png', 800],
  ['switch-form-360.png', 360],
  ['key-health-role-removed-360.png', 360],
];
const MAX_HEIGHT = { 800: 900, 360: 1100 };

mkdirSync(to, { recursive: true });
const missing = SET.filter(([file]) => {
  try { return !statSync(join(from, file)).isFile(); } catch { return true; }
});
if (missing.length) {
  console.error(`not in artifacts/screenshots (run the Playwright suite first): ${missing.map(([f]) => f).join(', ')}`);
  process.exit(1);
}
const wanted = new Set(SET.map(([file]) => file));
for (const old of readdirSync(to)) {
  if (old.endsWith('.png') && !wanted.has(old)) rmSync(join(to, old));
}
let total = 0;
for (const [file, width] of SET) {
  const out = join(to, file);
  const scaled = await sharp(join(from, file)).resize({ width, withoutEnlargement: true }).toBuffer({ resolveWithObject: true });
  const height = Math.min(scaled.info.height, MAX_HEIGHT[width] ?? scaled.info.height);
  await sharp(scaled.data)
    .extract({ left: 0, top: 0, width: scaled.info.width, height })
    .png({ palette: true, colours: 48, quality: 70, dither: 0, effort: 10, compressionLevel: 9 })
    .toFile(out);
  const size = statSync(out).size;
  total += size;
  console.log(`${file.padEnd(40)} ${String(size).padStart(8)} bytes`);
}
console.log(`${'total'.padEnd(40)} ${String(total).padStart(8)} bytes`);
