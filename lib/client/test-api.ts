import { meshStore } from './store'
import type { MeshSnapshot, OwnAssetSummary, VerdictView } from './types'

/** The read-only state on `window.hypermesh`, for e2e tests and curious users. */
export interface HypermeshTestApi {
  peerId: string
  slot: number | null
  status: MeshSnapshot['status']
  relayConnected: boolean
  connections: {
    peerId: string
    transport: string
    rttMs: number | null
    /** TrustChain handshake passed both ways (direct WebRTC links only; others are false). */
    verified: boolean
    /** Handshake state and, when refused, why. */
    trust: VerdictView | null
  }[]
  /** This node's certificate (PEM) and its index in the transparency log. */
  certificate: { pem: string; logIndex: number } | null
  /** Refused TrustChain handshakes, newest last. */
  refusals: MeshSnapshot['refusals']
  nodes: { peerId: string; lastSeen: number; coordinate: number[] | null }[]
  coordinate: { vec: number[]; height: number; error: number } | null
  heartbeats: MeshSnapshot['heartbeats']
  connectionsCreated: number
  dials: MeshSnapshot['dials']
  joinMs: number | null
  /** This node's view of the ledger, once its consensus worker runs (balance in base units, 10^-6 credit). */
  ledger: {
    height: number
    stateRoot: string
    balance: string
    validator: boolean
    /** This node's account key (hex), stake and the ledger's total supply, in base units. */
    publicKey: string
    stake: string
    unbonding: string
    totalSupply: string
    registered: boolean
    /** State roots of the last heights this tab committed, oldest first. */
    recentRoots: { height: number; stateRoot: string }[]
  } | null
  /** This node's own assets, in lib/assets' text forms; empty until they are measured. */
  assets: OwnAssetSummary[]
}

function view(s: MeshSnapshot): HypermeshTestApi {
  return {
    peerId: s.peerId ?? '',
    slot: s.slot,
    status: s.status,
    relayConnected: s.relayConnected,
    connections: s.connections.map((c) => ({
      peerId: c.peerId,
      transport: c.transport,
      rttMs: c.rttMs,
      verified: s.verdicts[c.id]?.state === 'verified',
      trust: s.verdicts[c.id] ?? null,
    })),
    certificate:
      s.certificate === null ? null : { pem: s.certificate.pem, logIndex: s.certificate.logIndex },
    refusals: s.refusals,
    nodes: s.nodes.map((n) => ({
      peerId: n.peerId,
      lastSeen: n.lastSeen,
      coordinate: n.coordinate === null ? null : [...n.coordinate.vec],
    })),
    coordinate:
      s.coordinate === null
        ? null
        : { vec: [...s.coordinate.vec], height: s.coordinate.height, error: s.coordinate.error },
    heartbeats: s.heartbeats,
    connectionsCreated: s.connectionsCreated,
    dials: s.dials,
    joinMs: s.joinMs,
    ledger:
      s.ledger.summary === null
        ? null
        : {
            height: s.ledger.summary.height,
            stateRoot: s.ledger.summary.stateRoot,
            balance: s.ledger.summary.balance,
            validator: s.ledger.summary.validator,
            publicKey: s.ledger.summary.publicKey,
            stake: s.ledger.summary.stake,
            unbonding: s.ledger.summary.unbonding,
            totalSupply: s.ledger.summary.totalSupply,
            registered: s.ledger.summary.registered,
            recentRoots: s.ledger.recentRoots,
          },
    assets: s.assets ?? [],
  }
}

/** Define `window.hypermesh` as a getter over the store: always current, never writable. */
export function exposeTestApi(): void {
  let cached: { from: MeshSnapshot; api: HypermeshTestApi } | null = null
  Object.defineProperty(window, 'hypermesh', {
    configurable: true,
    enumerable: true,
    get(): HypermeshTestApi {
      const s = meshStore.getSnapshot()
      if (cached === null || cached.from !== s) cached = { from: s, api: Object.freeze(view(s)) }
      return cached.api
    },
  })
}
