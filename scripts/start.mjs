// `npm start`: build the site when there is no build or the sources are newer than it, then run
// the server (site + bootstrap relay in one process). Runs on the Node 24 of the `node` package.
import { spawnSync } from 'node:child_process'
import { register } from 'tsx/esm/api'
import { existsSync, statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const SOURCES = [
  'app',
  'lib',
  'workers',
  'public',
  'next.config.ts',
  'package.json',
  'tailwind.config.ts',
]

function newest(path) {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)))
  return max
}

const buildId = join('.next', 'BUILD_ID')
const builtAt = existsSync(buildId) ? statSync(buildId).mtimeMs : 0
const changedAt = Math.max(...SOURCES.map(newest))
const nodeBundle = join('public', 'node', 'boot.js')
if (builtAt === 0 || changedAt > builtAt || !existsSync(nodeBundle)) {
  console.log(
    builtAt === 0 ? 'No build yet: building…' : 'Sources changed since the last build: building…',
  )
  // The same two steps as `npm run build`: the tab's node bundle, then the site.
  for (const cmd of [
    ['node', 'scripts/build-node.mjs'],
    ['npx', 'next', 'build'],
  ]) {
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' })
    if (r.status !== 0) process.exit(r.status ?? 1)
  }
}

// Same process: tsx compiles the TypeScript server entry on the fly.
register()
await import('../bin/server.ts')
