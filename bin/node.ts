/**
 * `npm run node`: a headless HyperMesh node on Node.js. Same lib code as a tab; WebRTC through
 * node-datachannel, identity in DATA_DIR. Joins the mesh of the server at HYPERMESH_URL.
 *
 *   HYPERMESH_URL=http://localhost:3000 npm run node            # one persistent node (slot 0)
 *   npm run node -- --slot 2                                    # another persistent identity
 *   npm run node -- --ephemeral                                 # a throw-away identity (load tests)
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readFile } from 'node:fs/promises'
import { createMeshLibp2p } from '../lib/mesh/libp2p-config'
import { parseBootstrapAnswer } from '../lib/mesh/bootstrap-answer'
import { MeshNode } from '../lib/mesh/node'
import { systemClock } from '../lib/ports'
import { loadOrCreateKey } from '../lib/server/key-file'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      slot: { type: 'string', default: '0' },
      ephemeral: { type: 'boolean', default: false },
      url: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  })
  const base = (values.url ?? process.env.HYPERMESH_URL ?? 'http://localhost:3000').replace(
    /\/$/,
    '',
  )
  const dataDir = process.env.DATA_DIR ?? './data'
  const slot = Number(values.slot)
  if (!Number.isInteger(slot) || slot < 0 || slot > 1023)
    throw new Error('--slot must be an integer in [0, 1023]')
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }

  const privateKey = values.ephemeral
    ? await generateKeyPair('Ed25519')
    : await loadOrCreateKey(join(dataDir, `node-${slot}.key`))
  let iceServers: string[] = []
  const libp2p = await createMeshLibp2p({
    privateKey,
    platform: 'node',
    iceServers: () => iceServers,
  })
  await libp2p.start()
  const peerId = libp2p.peerId.toString()

  const node = new MeshNode(
    {
      appVersion: pkg.version,
      capabilities: {
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        platform: 'node',
      },
    },
    {
      libp2p,
      privateKey,
      clock: systemClock,
      random: { next: () => Math.random() },
      async fetchBootstrap(options) {
        const res = await fetch(`${base}/api/bootstrap?peer=${encodeURIComponent(peerId)}`, {
          signal: options?.signal,
        })
        if (!res.ok) throw new Error(`bootstrap answered ${res.status}`)
        const answer = parseBootstrapAnswer(await res.json())
        iceServers = answer.iceServers
        return answer
      },
    },
  )
  await node.start()
  console.log(`headless node ${peerId} joining ${base}`)

  const report = (): void => {
    const s = node.state()
    const direct = s.connections.filter((c) => c.transport === 'webrtc').length
    console.log(
      `[${new Date().toISOString()}] relay=${s.relayConnected ? 'up' : 'down'} direct=${direct} nodes=${s.nodes.length}` +
        (s.relayError !== null ? ` problem="${s.relayError}"` : ''),
    )
  }
  const timer = values.quiet ? null : setInterval(report, 5_000)
  const stop = (): void => {
    if (timer !== null) clearInterval(timer)
    void node.stop().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error('headless node failed:', err)
  process.exit(1)
})
