import type { LedgerSummary } from '@/lib/chain/ledger-service'
import type { DialStats } from '@/lib/mesh/node'
import type { ConnectionInfo, Coordinate, NodeInfo } from '@/lib/mesh/types'

/** Connection state shown on the home page. */
export type MeshStatus = 'starting' | 'connecting' | 'relay-only' | 'direct' | 'offline'

/** Counters of heartbeats received, by outcome. */
export interface HeartbeatStats {
  accepted: number
  dropped: Record<string, number>
}

/** The tab's ledger, as its consensus worker reports it. */
export interface LedgerSnapshot {
  /** `unavailable`: the server runs no ledger; `failed`: see `problem`. */
  status: 'off' | 'starting' | 'live' | 'unavailable' | 'failed'
  /** This node's account key (hex), once the worker runs. */
  publicKey: string | null
  summary: LedgerSummary | null
  /** State roots of the last committed heights this tab saw, oldest first (at most 32). */
  recentRoots: { height: number; stateRoot: string }[]
  /** A sentence for the page when something went wrong, else null. */
  problem: string | null
}

/** The UI-side snapshot of the node, exposed to React and as `window.hypermesh`. */
export interface MeshSnapshot {
  peerId: string | null
  slot: number | null
  status: MeshStatus
  /** Human sentence when something is wrong (relay unreachable...), else null. */
  problem: string | null
  /** When the next automatic retry happens (ms since epoch), when offline. */
  nextRetryAt: number | null
  relayConnected: boolean
  /** Peer ID of the bootstrap relay, once known. */
  relayPeerId: string | null
  connections: ConnectionInfo[]
  nodes: NodeInfo[]
  coordinate: Coordinate | null
  heartbeats: HeartbeatStats
  /** RTCPeerConnections created over this tab's lifetime (Chromium allows 500). */
  connectionsCreated: number
  startedAt: number
  /** Outbound WebRTC dial outcomes. */
  dials: DialStats
  /** Page start → first direct WebRTC peer, ms; null until then. */
  joinMs: number | null
  /** The ledger (consensus worker). */
  ledger: LedgerSnapshot
  /** This node's TrustChain certificate, once it has one. */
  certificate: CertificateView | null
  /** TrustChain handshake outcome per open direct connection, by connection ID. */
  verdicts: Record<string, VerdictView>
  /** The last refused handshakes (ours or the peer's), newest last. */
  refusals: (VerdictView & { peerId: string; at: number })[]
  /** Why the certificate could not be obtained, if it could not. */
  trustProblem: string | null
  /** Size of the newest log checkpoint this node has seen and checked. */
  checkpointSize: number | null
  /** This node's own assets (lib/client/assets-runtime.ts), once measured; absent before. */
  assets?: OwnAssetSummary[]
}

/** One of this node's assets, in lib/assets' text forms (`window.hypermesh.assets`). */
export interface OwnAssetSummary {
  /** `<type>:<uuid>`. */
  assetId: string
  /** The 17-group text form of its GlobalAddress. */
  globalAddress: string
  /** `hypermesh://<peer>/<uuid>:<port>`. */
  uri: string
  type: string
  /** Its privacy level (private, private-network, p2p, public-network, full-public). */
  privacy: string
  /** Whether the owner has paused it (nothing of it is reachable then). */
  paused: boolean
}

/** This node's certificate, as the home page shows it. */
export interface CertificateView {
  pem: string
  serial: string
  logIndex: number
  notBefore: number
  notAfter: number
}

/** The TrustChain handshake outcome on one connection. */
export interface VerdictView {
  state: 'pending' | 'verified' | 'refused' | 'refused-by-peer'
  /** Why it was refused: the failed check and a sentence. */
  reason: { name: string; code: string; message: string; check?: string } | null
  logIndex: number | null
}
