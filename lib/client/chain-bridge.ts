/**
 * The main thread's side of the tab's consensus worker: it starts the worker once the node has
 * joined, carries gossip and block sync between the worker and the libp2p node (which must live
 * on the main thread), registers this node on the ledger once it holds a TrustChain certificate,
 * and publishes the worker's summary into the store for the pages and `window.hypermesh.ledger`.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'
import { libp2pChainNetwork } from '@/lib/adapters/libp2p-chain-network'
import type {
  ChainMethod,
  ChainRequests,
  FromChainWorker,
  ToChainWorker,
} from '@/lib/chain/worker-protocol'
import { keyHexFromPeerId } from './peer-key'
import { meshStore } from './store'
import type { LedgerSnapshot } from './types'
import type { LedgerSummary } from '@/lib/chain/ledger-service'
import { chainTimeoutsFromHeaders, type ChainTimeouts } from '@/lib/chain/timeouts'

const BRIDGE_KEY = Symbol.for('hypermesh.chain-bridge')

/** Where the page's requests go (the same object in every bundle of this tab). */
interface ChainBridgeHandle {
  request<M extends ChainMethod>(
    method: M,
    params: ChainRequests[M]['params'],
  ): Promise<ChainRequests[M]['result']>
}

const holder = globalThis as {
  [BRIDGE_KEY]?: { ready: Promise<ChainBridgeHandle>; resolve(h: ChainBridgeHandle): void }
}

function slotOfBridge() {
  if (holder[BRIDGE_KEY] === undefined) {
    let resolve!: (h: ChainBridgeHandle) => void
    const ready = new Promise<ChainBridgeHandle>((r) => (resolve = r))
    holder[BRIDGE_KEY] = { ready, resolve }
  }
  return holder[BRIDGE_KEY]
}

/** An error the worker answered with, as the page sees it. */
export class ChainRequestError extends Error {
  constructor(
    override readonly name: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Ask this tab's consensus worker something (see {@link ChainRequests}). Waits for the worker to
 * be running.
 */
export async function chainRequest<M extends ChainMethod>(
  method: M,
  params: ChainRequests[M]['params'],
): Promise<ChainRequests[M]['result']> {
  return (await slotOfBridge().ready).request(method, params)
}

function update(patch: Partial<LedgerSnapshot>): void {
  const current = meshStore.getSnapshot().ledger
  meshStore.update({ ledger: { ...current, ...patch } })
}

/** What the bridge needs from the node runtime. */
export interface ChainBridgeInit {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  privateKey: PrivateKey
  slot: number | null
  /** The bootstrap relay's peer ID (it runs the anchor validator: the first place to sync from). */
  relayPeerId: () => string | null
  /** This node's TrustChain certificate, when it holds one (DER and expiry). */
  certificate: () => { der: Uint8Array; notAfter: number } | null
  /** Called with a listener to run when the certificate changes. */
  onCertificateChange: (listener: () => void) => void
}

/**
 * Start the tab's chain: fetch the genesis, start the worker, wire it to libp2p. Resolves when
 * the worker runs; failures end up in the store as a sentence for the page.
 */
export async function startChain(init: ChainBridgeInit): Promise<void> {
  update({ status: 'starting', problem: null })
  let genesis: Uint8Array
  let timeouts: Partial<ChainTimeouts>
  // The chain's data is kept per chain ID: a server that starts a new chain (new DATA_DIR) must
  // not find this tab replaying the old one.
  let chainId = 'unknown'
  try {
    const res = await fetch('/api/chain/genesis', { cache: 'no-store' })
    if (res.status === 404) {
      update({ status: 'unavailable', problem: 'This server runs no ledger.' })
      return
    }
    if (!res.ok) throw new Error(`GET /api/chain/genesis: HTTP ${res.status}`)
    genesis = new Uint8Array(await res.arrayBuffer())
    const id = res.headers.get('x-chain-id') ?? ''
    if (/^[A-Za-z0-9._-]{1,64}$/.test(id)) chainId = id
    timeouts = chainTimeoutsFromHeaders((name) => res.headers.get(name))
  } catch (err) {
    update({
      status: 'failed',
      problem: `The ledger could not start: ${(err as Error).message}. Reload the page to try again.`,
    })
    return
  }
  const worker = new Worker('/node/consensus-worker.js', { type: 'module', name: 'consensus' })
  const post = (m: ToChainWorker) => worker.postMessage(m)
  const network = await libp2pChainNetwork(init.libp2p, {
    preferredSyncPeers: () => {
      const relay = init.relayPeerId()
      return relay === null ? [] : [relay]
    },
  })
  let nextServe = 1
  const serving = new Map<number, (blocks: Uint8Array[]) => void>()
  network.serveBlocks(
    (from, to) =>
      new Promise((resolve) => {
        const id = nextServe++
        serving.set(id, resolve)
        post({ type: 'serve', id, from, to })
        setTimeout(() => {
          if (serving.delete(id)) resolve([])
        }, 10_000)
      }),
  )
  network.onMessage((m) => post({ type: 'gossip', topic: m.topic, data: m.data, from: m.from }))
  let latest: LedgerSummary | null = null
  let recentRoots: { height: number; stateRoot: string }[] = []
  let flush: ReturnType<typeof setTimeout> | null = null
  let nextRequest = 1
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  let ready!: () => void
  let failed!: (e: Error) => void
  const started = new Promise<void>((res, rej) => {
    ready = res
    failed = rej
  })
  worker.addEventListener('error', (evt) => {
    update({
      status: 'failed',
      problem: `The ledger worker stopped: ${evt.message}. Reload the page.`,
    })
    failed(new Error(evt.message))
  })
  worker.addEventListener('message', (evt: MessageEvent<FromChainWorker>) => {
    const m = evt.data
    switch (m.type) {
      case 'ready':
        update({ status: 'live', publicKey: m.publicKey })
        ready()
        break
      case 'failed':
        update({
          status: 'failed',
          problem: `The ledger could not start: ${m.error.message}. Reload the page.`,
        })
        failed(new Error(m.error.message))
        break
      case 'publish':
        void network.publish(m.topic, m.data)
        break
      case 'fetch':
        network.fetchBlocks(m.from, m.to, m.peer !== undefined ? { peer: m.peer } : {}).then(
          (r) => post({ type: 'fetched', id: m.id, ok: true, peer: r.peer, blocks: r.blocks }),
          (err: unknown) => post({ type: 'fetched', id: m.id, ok: false, error: String(err) }),
        )
        break
      case 'served':
        serving.get(m.id)?.(m.blocks)
        serving.delete(m.id)
        break
      case 'summary': {
        const last = recentRoots[recentRoots.length - 1]
        if (last === undefined || last.height < m.summary.height) {
          recentRoots = [
            ...recentRoots,
            { height: m.summary.height, stateRoot: m.summary.stateRoot },
          ].slice(-32)
        }
        latest = m.summary
        // Each store update re-renders the page: at most one a second for the ledger, however
        // fast blocks come (with 16 tabs on 2 cores, renders were a large part of an idle tab).
        if (flush === null) {
          flush = setTimeout(() => {
            flush = null
            update({ summary: latest, recentRoots })
          }, 1_000)
        }
        break
      }
      case 'response': {
        const p = pending.get(m.id)
        pending.delete(m.id)
        if (p === undefined) break
        if (m.ok) p.resolve(m.result)
        else p.reject(new ChainRequestError(m.error.name, m.error.code, m.error.message))
        break
      }
    }
  })
  // libp2p's Ed25519 private key: 32 bytes of seed followed by the public key.
  const secretKey = init.privateKey.raw.slice(0, 32)
  post({
    type: 'init',
    init: {
      genesis,
      secretKey,
      dbName: `hypermesh-chain-${chainId}-slot${init.slot ?? 'x'}`,
      timeouts,
    },
  })
  await started
  const handle: ChainBridgeHandle = {
    request(method, params) {
      const id = nextRequest++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        post({ type: 'request', id, method, params })
      })
    },
  }
  slotOfBridge().resolve(handle)
  // Register on the ledger once a certificate is held and the chain has caught up (a registration
  // is checked against the block time: sent while old blocks replay, its stamp looks too new).
  // Retried every few seconds until the ledger shows this node, and again when the certificate
  // is renewed.
  let registering = false
  let registeredWith: number | null = null
  const register = () => {
    const certificate = init.certificate()
    const summary = meshStore.getSnapshot().ledger.summary
    if (certificate === null || summary === null || registering) return
    if (Date.now() - summary.time > 30_000) return // still catching up
    if (summary.registered && registeredWith === certificate.notAfter) return
    registering = true
    handle
      .request('register', { certificate })
      .then(() => {
        registeredWith = certificate.notAfter
        update({ problem: null })
      })
      .catch((err: unknown) => {
        update({ problem: `Registering this node on the ledger failed: ${(err as Error).message}` })
      })
      .finally(() => {
        registering = false
      })
  }
  init.onCertificateChange(register)
  // PoSpace (DESIGN.md §4): once a minute, attest the RTT measured to one direct peer (rotating
  // through them), with this node's Vivaldi coordinate. A peer not registered on the ledger is
  // refused by it; that costs nothing but the try.
  let turn = 0
  setInterval(() => {
    const snap = meshStore.getSnapshot()
    const summary = snap.ledger.summary
    if (summary === null || !summary.registered || snap.coordinate === null) return
    const measured = snap.connections.filter((c) => c.transport === 'webrtc' && c.rttMs !== null)
    if (measured.length === 0) return
    const peer = measured[turn++ % measured.length]!
    let subject: string
    try {
      subject = keyHexFromPeerId(peer.peerId)
    } catch {
      return
    }
    const { vec, height, error } = snap.coordinate
    handle
      .request('attest', { subject, rttMs: peer.rttMs!, coord: { vec: [...vec], height, error } })
      .catch(() => undefined)
  }, 60_000)
  setInterval(() => {
    if (meshStore.getSnapshot().ledger.summary?.registered === false) registeredWith = null
    register()
  }, 3_000)
  register()
}
