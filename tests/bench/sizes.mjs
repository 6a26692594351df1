// Sizes for scripts/bench: for each LABEL=PATH argument, the raw size and the
// gzip (level 9) and brotli (quality 11) sizes of the file, as JSON on stdout.
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const out = {};
for (const arg of process.argv.slice(2)) {
  const i = arg.indexOf('=');
  const label = arg.slice(0, i);
  const buf = readFileSync(arg.slice(i + 1));
  out[label] = {
    file: arg.slice(i + 1),
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
