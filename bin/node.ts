/**
 * `npm run node`: headless HyperMesh nodes on Node.js. Same lib code as a tab; WebRTC through
 * node-datachannel, identities in DATA_DIR. Joins the mesh of the server at HYPERMESH_URL.
 *
 *   HYPERMESH_URL=http://localhost:3000 npm run node      # one persistent node (slot 0)
 *   npm run node -- --slot 2                              # another persistent identity
 *   npm run node -- --ephemeral                           # a throw-away identity
 *   npm run node -- --count 8 --ephemeral                 # eight nodes in one process (load tests)
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readFile } from 'node:fs/promises'
import { parseBootstrapAnswer } from '../lib/mesh/bootstrap-answer'
import { createMeshNode } from '../lib/mesh/libp2p-config'
import { MeshNode } from '../lib/mesh/node'
import { loadOrCreateKey } from '../lib/server/key-file'
import { NO_PERSISTENCE, TrustchainClient } from '../lib/trustchain/client'
import { TrustchainGuard } from '../lib/trustchain/guard'
import { connectionTransport } from '../lib/mesh/transport'

interface Options {
  base: string
  dataDir: string
  slot: number
  ephemeral: boolean
  version: string
}

async function startOne(o: Options): Promise<MeshNode> {
  const privateKey = o.ephemeral
    ? await generateKeyPair('Ed25519')
    : await loadOrCreateKey(join(o.dataDir, `node-${o.slot}.key`))
  const node = await createMeshNode({
    privateKey,
    platform: 'node',
    appVersion: o.version,
    capabilities: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      platform: 'node',
    },
    async fetchBootstrap(peerId, options) {
      const res = await fetch(`${o.base}/api/bootstrap?peer=${encodeURIComponent(peerId)}`, {
        signal: options?.signal,
      })
      if (!res.ok) throw new Error(`bootstrap answered ${res.status}`)
      return parseBootstrapAnswer(await res.json())
    },
  })
  // TrustChain: the same certificate and handshake as a tab (docs/trustchain.md); the certificate
  // is kept in memory and renewed by the client.
  const trust = new TrustchainClient(
    {},
    {
      fetch: (path, init) => fetch(o.base + path, init),
      peerId: node.peerId,
      publicKey: privateKey.publicKey.raw,
      sign: (data) => privateKey.sign(data),
      now: () => Date.now(),
      persistence: NO_PERSISTENCE,
    },
  )
  const guard = new TrustchainGuard(
    {},
    {
      libp2p: node.libp2p,
      localHello: ({ signal }) => trust.hello({ signal }),
      verify: (peerId, hello) => trust.verifyHello(peerId, hello),
      guards: (c) => connectionTransport(c) === 'webrtc',
    },
  )
  guard.addEventListener('change', () => {
    for (const v of guard.verdicts()) {
      // Only a failed check is a reason to stay away; a handshake that timed out or broke
      // (e.g. the CA was restarting) is redialled as usual.
      const failedCheck = v.reason?.check !== undefined
      if ((v.state === 'refused' || v.state === 'refused-by-peer') && failedCheck) {
        node.avoid(v.peerId, 60_000)
      }
    }
  })
  await guard.start()
  await node.start()
  console.log(`headless node ${node.peerId} joining ${o.base}`)
  trust.start().then(
    (c) =>
      console.log(`headless node ${node.peerId}: certificate ${c.serial}, log index ${c.logIndex}`),
    (err: unknown) => console.error(`headless node ${node.peerId}: no certificate:`, err),
  )
  return node
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${value}"`)
  }
  return n
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      slot: { type: 'string', default: '0' },
      count: { type: 'string', default: '1' },
      ephemeral: { type: 'boolean', default: false },
      url: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  })
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  const base = (values.url ?? process.env.HYPERMESH_URL ?? 'http://localhost:3000').replace(
    /\/$/,
    '',
  )
  const slot = intOption('slot', values.slot, 0, 1023)
  const count = intOption('count', values.count, 1, 256)
  const nodes: MeshNode[] = []
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startOne({
        base,
        dataDir: process.env.DATA_DIR ?? './data',
        slot: slot + i,
        ephemeral: values.ephemeral,
        version: pkg.version,
      }),
    )
  }

  const report = (): void => {
    for (const node of nodes) {
      const s = node.state()
      const direct = s.connections.filter((c) => c.transport === 'webrtc').length
      console.log(
        `[${new Date().toISOString()}] ${s.peerId.slice(-8)} relay=${s.relayConnected ? 'up' : 'down'} direct=${direct} nodes=${s.nodes.length}` +
          (s.relayError !== null ? ` problem="${s.relayError}"` : ''),
      )
    }
  }
  const timer = values.quiet ? null : setInterval(report, 5_000)
  const stop = (): void => {
    if (timer !== null) clearInterval(timer)
    void Promise.allSettled(nodes.map((n) => n.stop())).finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error('headless node failed:', err instanceof Error ? err.message : err)
  process.exit(1)
})
