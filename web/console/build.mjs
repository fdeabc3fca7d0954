// Bundles the console's code and Lit into one ES module with esbuild:
//   node build.mjs OUTDIR   writes OUTDIR/console.js (the staff console) and
//                           OUTDIR/privacy.js (the customer privacy center)
// CMake runs this at build time (src/server/CMakeLists.txt) and embeds the
// result in the `mamori` binary; see docs/console.md.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}

await build({
  entryPoints: [join(here, 'src', 'console.js'), join(here, 'src', 'privacy.js')],
  outdir,
  bundle: true,
  format: 'esm',
  target: 'es2021',
  minify: true,
  legalComments: 'eof', // Lit's BSD-3-Clause notice stays in the bundle
  logLevel: 'warning',
  absWorkingDir: here,
});
