// Bundles the browser code: one bundle per page family, each from static/js/src/<entry>/main.js
// (the families share static/js/src/lib/), into the committed static/js/<entry>.bundle.js.
//
//   npm run build                  writes the committed bundles
//   npm run build -- <outdir>      writes them into <outdir> instead (tests compare the two)
//   BUNDLE_OUT=<outdir> npm run build
//
// The output is deterministic (no timestamps, no source maps, no absolute paths), so the
// committed bundles must equal a fresh build of the pinned packages in package-lock.json.
// Each bundle is a self-contained classic script (an IIFE): nothing imports anything at run
// time, so the hashed names of production's static files need no rewriting inside them.
import { build } from 'esbuild'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(fileURLToPath(import.meta.url))
const outdir = resolve(process.argv[2] || process.env.BUNDLE_OUT || resolve(root, 'static/js'))

// entry -> the pages that load static/js/<entry>.bundle.js
const ENTRIES = {
  base: 'every page (templates/base.html): confirmations, avatar colours',
  account: 'templates/accounts/profile.html, tokens.html',
  project: "templates/projects/detail.html: the activity list and the page's one events socket",
  studio: 'templates/projects/detail.html: the generation studio (templates/generation/_studio.html)',
  rights: "templates/rights/work.html, work_new.html and the project page's works card",
  gallery: 'templates/recommend/*.html',
  storyboard: 'templates/collab/storyboard.html'
}

await build({
  absWorkingDir: root,
  entryPoints: Object.keys(ENTRIES).map((name) => ({ in: `static/js/src/${name}/main.js`, out: `${name}.bundle` })),
  outdir,
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
