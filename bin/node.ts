/**
 * `npm run node`: headless HyperMesh nodes on Node.js. Same lib code as a tab; WebRTC through
 * node-datachannel, identities in DATA_DIR. Joins the mesh of the server at HYPERMESH_URL.
 *
 *   HYPERMESH_URL=http://localhost:3000 npm run node      # one persistent node (slot 0)
 *   npm run node -- --slot 2                              # another persistent identity
 *   npm run node -- --ephemeral                           # a throw-away identity
 *   npm run node -- --count 8 --ephemeral                 # eight nodes in one process (load tests)
 *   npm run node -- --validator-key data/chain-anchor.key # run the anchor validator here
 *                                                         # (server started with HYPERMESH_ANCHOR=0)
 *
 * Persistent nodes also keep the ledger (blocks in DATA_DIR/chain-<chain ID>-<slot>.sqlite),
 * register on it once they hold a certificate, and validate when elected; `--no-ledger` turns
 * that off, `--ledger` turns it on for ephemeral nodes (their chain lives in memory).
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
import { nodeEd25519Verifier } from '../lib/adapters/ed25519-node'
import { libp2pChainNetwork } from '../lib/adapters/libp2p-chain-network'
import { createMemoryKvStore } from '../lib/adapters/memory-kv-store'
import { openSqliteKvStore } from '../lib/adapters/sqlite-kv-store'
import { LedgerService } from '../lib/chain/ledger-service'
import { chainTimeoutsFromHeaders } from '../lib/chain/timeouts'
import { formatCredits } from '../lib/chain/units'
import { decodeGenesis } from '../lib/ledger/genesis'
import { decodeLedgerState, encodeLedgerState } from '../lib/ledger/snapshot'
import { systemClock } from '../lib/ports'
import { certificatePemToDer } from '../lib/trustchain/pem'

interface Options {
  base: string
  dataDir: string
  slot: number
  ephemeral: boolean
  version: string
  ledger: boolean
  /** Run the ledger with this 32-byte secret key instead of the node's own (e.g. the anchor's). */
  validatorKey: Uint8Array | null
}

interface Started {
  node: MeshNode
  ledger: LedgerService | null
}

/** Join the ledger of the server at `o.base`, if it runs one. */
async function startLedger(
  o: Options,
  node: MeshNode,
  secretKey: Uint8Array,
  certificate: Promise<{ der: Uint8Array; notAfter: number }>,
): Promise<LedgerService | null> {
  const res = await fetch(`${o.base}/api/chain/genesis`)
  if (res.status === 404) return null
  if (!res.ok) throw new Error(`GET /api/chain/genesis answered ${res.status}`)
  const genesis = decodeGenesis(new Uint8Array(await res.arrayBuffer()))
  const timeouts = chainTimeoutsFromHeaders((name) => res.headers.get(name))
  const kv = o.ephemeral
    ? createMemoryKvStore()
    : await openSqliteKvStore(join(o.dataDir, `chain-${genesis.chainId}-${o.slot}.sqlite`))
  const network = await libp2pChainNetwork(node.libp2p as never, {
    preferredSyncPeers: () => {
      const relay = node.state().relayPeerId
      return relay === null ? [] : [relay]
    },
  })
  const ledger = new LedgerService(
    {
      genesis,
      timeouts,
    },
    {
      secretKey,
      kv,
      network,
      verifier: nodeEd25519Verifier(),
      stateCodec: { encode: encodeLedgerState, decode: decodeLedgerState },
      clock: systemClock,
    },
  )
  await ledger.start()
  if (o.validatorKey === null) {
    certificate
      .then((c) => ledger.register(c))
      .catch((err: unknown) =>
        console.error(`headless node ${node.peerId}: not registered on the ledger:`, err),
      )
  }
  return ledger
}

async function startOne(o: Options): Promise<Started> {
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
  const held = trust.start()
  held.then(
    (c) =>
      console.log(`headless node ${node.peerId}: certificate ${c.serial}, log index ${c.logIndex}`),
    (err: unknown) => console.error(`headless node ${node.peerId}: no certificate:`, err),
  )
  const ledger = o.ledger
    ? await startLedger(
        o,
        node,
        o.validatorKey ?? privateKey.raw.slice(0, 32),
        held.then((c) => ({
          der: certificatePemToDer(c.pem)!,
          notAfter: c.notAfter,
        })),
      )
    : null
  return { node, ledger }
}

function ledgerLine(ledger: LedgerService | null): string {
  if (ledger === null) return ''
  const s = ledger.summary()
  return ` height=${s.height} balance=${formatCredits(BigInt(s.balance))}${s.validator ? ' validator' : ''}`
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
      ledger: { type: 'boolean' },
      'no-ledger': { type: 'boolean', default: false },
      'validator-key': { type: 'string' },
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
  const validatorKey =
    values['validator-key'] === undefined
      ? null
      : new Uint8Array(await readFile(values['validator-key']))
  if (validatorKey !== null && (validatorKey.length !== 32 || count !== 1)) {
    throw new Error('--validator-key needs a 32-byte key file and --count 1')
  }
  const started: Started[] = []
  for (let i = 0; i < count; i++) {
    started.push(
      await startOne({
        base,
        dataDir: process.env.DATA_DIR ?? './data',
        slot: slot + i,
        ephemeral: values.ephemeral,
        version: pkg.version,
        ledger: !values['no-ledger'] && (values.ledger ?? !values.ephemeral),
        validatorKey,
      }),
    )
  }
  const nodes = started.map((s) => s.node)

  const report = (): void => {
    for (const node of nodes) {
      const s = node.state()
      const direct = s.connections.filter((c) => c.transport === 'webrtc').length
      console.log(
        `[${new Date().toISOString()}] ${s.peerId.slice(-8)} relay=${s.relayConnected ? 'up' : 'down'} direct=${direct} nodes=${s.nodes.length}` +
          ledgerLine(started.find((x) => x.node === node)?.ledger ?? null) +
          (s.relayError !== null ? ` problem="${s.relayError}"` : ''),
      )
    }
  }
  const timer = values.quiet ? null : setInterval(report, 5_000)
  const stop = (): void => {
    if (timer !== null) clearInterval(timer)
    void Promise.allSettled(
      started.map(async (s) => {
        await s.ledger?.stop()
        await s.node.stop()
      }),
    ).finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error('headless node failed:', err instanceof Error ? err.message : err)
  process.exit(1)
})
