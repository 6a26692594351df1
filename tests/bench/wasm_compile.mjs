// Compile times for scripts/bench: what a fresh V8 isolate pays to accept each
// wasm module (`new WebAssembly.Module`), in Node's V8. For each LABEL=PATH
// argument, RUNS fresh processes (no code cache is shared between them) with
// V8's defaults (lazy compilation: a function is compiled when first called,
// so the module is only decoded and validated) and RUNS with
// --no-wasm-lazy-compilation (every function compiled up front: the bound).
// Prints JSON on stdout: per label, the raw size and the median and minimum
// milliseconds of each mode.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === '--one') {
  const bytes = readFileSync(process.argv[3]);
  const t0 = performance.now();
  new WebAssembly.Module(bytes);
  process.stdout.write(String(performance.now() - t0));
  process.exit(0);
}

const runs = Number(process.env.COMPILE_RUNS || 7);
const self = fileURLToPath(import.meta.url);
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median_ms: s[Math.floor(s.length / 2)], min_ms: s[0], runs: s.length };
};
const once = (flags, path) => Number(execFileSync(process.execPath, [...flags, self, '--one', path]).toString());

const out = { available: true, v8: process.versions.v8, node: process.version, builds: {} };
for (const arg of process.argv.slice(2)) {
  const i = arg.indexOf('=');
  const [label, path] = [arg.slice(0, i), arg.slice(i + 1)];
  const lazy = [], eager = [];
  // Interleaved, so a burst of load on this shared machine hits both modes.
  for (let r = 0; r < runs; r++) {
    lazy.push(once([], path));
    eager.push(once(['--no-wasm-lazy-compilation'], path));
  }
  out.builds[label] = { raw_bytes: statSync(path).size, lazy: stats(lazy), eager: stats(eager) };
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
