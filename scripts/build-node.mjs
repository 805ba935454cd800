// Bundles the tab's node (lib/client/boot-entry.ts) into public/node/boot.js, a script of its own
// that the root layout loads `async` in <head>, with its early helper (early-entry.ts → early.js). It starts the node as soon as it has downloaded,
// in parallel with the site's own chunks and before React hydrates, instead of after them as a
// dynamic import of the app bundle would (docs/architecture.md, "Boot order").
// `--watch` rebuilds on change (the dev server uses it).
import * as esbuild from 'esbuild'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

/** @type {import('esbuild').BuildOptions} */
export const options = {
  entryPoints: {
    boot: 'lib/client/boot-entry.ts',
    early: 'lib/client/early-entry.ts',
    trustchain: 'lib/client/trustchain-runtime.ts',
    assets: 'lib/client/assets-runtime.ts',
    // What `npm run bench -- assets` runs in a tab (lib/client/bench-assets.ts): bench pages only.
    'bench-assets': 'lib/client/bench-assets.ts',
    // The tab's consensus worker (ledger, consensus, IndexedDB): a bundle of its own, loaded with
    // `new Worker('/node/consensus-worker.js')` once the node has joined.
    'consensus-worker': 'workers/consensus.worker.ts',
    // The tab's MFN router (workers/mfn.worker.ts): started only while the /mfn page watches it.
    'mfn-worker': 'workers/mfn.worker.ts',
    // The CPU calibration of the resource adapters (lib/adapters/browser-resources.ts).
    'calibrate-worker': 'workers/calibrate.worker.ts',
  },
  outdir: 'public/node',
  bundle: true,
  format: 'esm',
  // The TrustChain client (certificate parsing and checks) is a bundle of its own, loaded once the
  // node runs: it is not needed to join. Code splitting would do that too, but it also splits the
  // boot script into chunks that load one after another, which costs the join a round trip.
  plugins: [
    {
      name: 'trustchain-runtime-apart',
      setup(build) {
        build.onResolve({ filter: /\/trustchain-runtime$/ }, () => ({
          path: './trustchain.js',
          external: true,
        }))
        // The tab's assets (measurement, privacy settings, remote memory): also a bundle of its
        // own, started after the join; inlined it added 69 KiB to the script every join compiles.
        build.onResolve({ filter: /\/assets-runtime$/ }, () => ({
          path: './assets.js',
          external: true,
        }))
        // Loaded by bench-api.ts on `?bench` pages only: no tab pays for the bench's code.
        build.onResolve({ filter: /\/bench-assets$/ }, () => ({
          path: './bench-assets.js',
          external: true,
        }))
      },
    },
  ],
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  tsconfig: 'tsconfig.json',
  define: {
    'process.env.NEXT_PUBLIC_APP_VERSION': JSON.stringify(pkg.version),
    'process.env.NODE_ENV': '"production"',
  },
  logLevel: 'warning',
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--watch')) {
    const ctx = await esbuild.context(options)
    await ctx.watch()
  } else {
    const r = await esbuild.build({ ...options, metafile: true })
    for (const [file, out] of Object.entries(r.metafile.outputs)) {
      if (file.endsWith('.js'))
        console.log(`node bundle: ${file}, ${(out.bytes / 1024).toFixed(0)} KiB`)
    }
  }
}
