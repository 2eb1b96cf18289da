// Bundles the browser code: static/js/src/storyboard.js -> static/js/storyboard.bundle.js.
//
//   npm run build                  writes the committed bundle
//   npm run build -- <outfile>     writes it elsewhere (tests compare the two)
//   BUNDLE_OUT=<outfile> npm run build
//
// The output is deterministic (no timestamps, no source maps, no absolute paths), so the
// committed bundle must equal a fresh build of the pinned packages in package-lock.json.
import { build } from 'esbuild'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(fileURLToPath(import.meta.url))
const outfile = resolve(process.argv[2] || process.env.BUNDLE_OUT || resolve(root, 'static/js/storyboard.bundle.js'))

await build({
  absWorkingDir: root,
  entryPoints: ['static/js/src/storyboard.js'],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  platform: 'browser',
  charset: 'utf8',
  legalComments: 'eof',
  sourcemap: false,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning'
})
