import type { Connection, Ed25519PrivateKey, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { GossipSub } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Ping } from '@libp2p/ping'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Clock, Random } from '../ports'
import type { BootstrapAnswer } from './bootstrap-answer'
import { ConnectionBudget, DialBackoff } from './dial-budget'
import { encodeHeartbeat, HeartbeatSequencer, HeartbeatValidator } from './heartbeat'
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TOPIC } from './constants'
import { connectionTransport } from './transport'
import type { CapabilitySummary, ConnectionInfo, Coordinate, NodeInfo } from './types'
import { RttProber, handleRtt } from './rtt'
import { VivaldiClient } from './vivaldi'

/** The libp2p services a mesh node needs. */
// A type alias, not an interface: libp2p's ServiceMap needs an implicit index signature.
export type MeshServices = {
  pubsub: GossipSub
  ping: Ping
}

/** Options of a mesh node, with defaults. */
export interface MeshNodeInit {
  /** Direct WebRTC peers this node dials towards. Default 4 (inbound links add to it). */
  targetDirectPeers?: number
  /** Hard cap on direct WebRTC peers, inbound included. Default 16. */
  maxDirectPeers?: number
  /** RTCPeerConnection creations allowed over the node's lifetime. Default 450 (Chromium: 500). */
  connectionBudget?: number
  /** Heartbeat period. Default HEARTBEAT_INTERVAL_MS (3 s). */
  heartbeatIntervalMs?: number
  /**
   * RTT probe period per direct peer. Default 10 000 ms: each probe opens a data channel, which
   * costs CPU on every link; a new link is probed at once.
   */
  pingIntervalMs?: number
  /** Forget a node this long after its last heartbeat. Default 30 000 ms. */
  nodeExpiryMs?: number
  /** App version carried in heartbeats. */
  appVersion: string
  capabilities: CapabilitySummary
}

/** The ports and adapters a mesh node is built from. */
export interface MeshNodeComponents {
  libp2p: Libp2p<MeshServices>
  privateKey: PrivateKey
  clock: Clock
  random: Random
  /**
   * Ask the bootstrap server where the relay is (browser: fetch /api/bootstrap), checked with
   * `parseBootstrapAnswer`.
   */
  fetchBootstrap(options?: { signal?: AbortSignal }): Promise<BootstrapAnswer>
}

/** A read-only view of the node, published on every change. */
export interface MeshNodeState {
  peerId: string
  relayPeerId: string | null
  relayConnected: boolean
  relayError: string | null
  nextRetryAt: number | null
  connections: ConnectionInfo[]
  nodes: NodeInfo[]
  coordinate: Coordinate | null
  heartbeats: { accepted: number; dropped: Record<string, number> }
  connectionsCreated: number
  firstDirectAt: number | null
  /** Outbound WebRTC dials: how many, how they ended, and the last few failures (for diagnosis). */
  dials: DialStats
}

/** Outcome counters of outbound WebRTC dials. */
export interface DialStats {
  attempts: number
  succeeded: number
  failed: number
  /** Median duration of successful dials, ms; null before the first. */
  medianMs: number | null
  /** The last few failures: error name, message and how long the dial took. */
  recentFailures: { name: string; message: string; ms: number }[]
}

const RELAY_RETRY_MIN_MS = 1_000
const RELAY_RETRY_MAX_MS = 8_000
const MAINTAIN_INTERVAL_MS = 1_000
const MAX_PARALLEL_DIALS = 2
/** A node without any direct link may run this many dials, one more every DIAL_STAGGER_MS. */
const MAX_PARALLEL_DIALS_ALONE = 5
const DIAL_STAGGER_MS = 700
/** A dial that has not finished by then is abandoned (see libp2p-config.ts on why it is long). */
const DIAL_TIMEOUT_MS = 15_000
/** Wait before closing the relayed signalling link once a direct link is up. */
const RELAYED_CLOSE_DELAY_MS = 5_000
/** A duplicate WebRTC link is closed only once both links are this old. */
const DUPLICATE_SETTLE_MS = 10_000
/** A node without a direct link for this long dials larger peer IDs too (see #maintain). */
const ALONE_FALLBACK_MS = 3_000
/**
 * A node with its relay connection but no direct link and no dial running asks the bootstrap
 * server again this often during its first ALONE_FAST_ASK_WINDOW_MS alone (then once a second,
 * with #maintain): two tabs opened together learn of each other from the server as soon as the
 * second one holds its reservation, well before their first heartbeats cross the gossip mesh.
 */
const ALONE_FAST_ASK_MS = 250
const ALONE_FAST_ASK_WINDOW_MS = 4_000
/** Least time between two heartbeats of this node (announcements come on top of the period). */
const MIN_HEARTBEAT_GAP_MS = 500
/** Dial candidates remembered at most (heard by heartbeat or from the bootstrap server). */
const MAX_CANDIDATES = 256

/**
 * A HyperMesh node on top of a libp2p instance: keeps the relay connection (and reconnects when it
 * drops), dials discovered peers over direct WebRTC up to a bounded set, measures RTT with libp2p
 * ping, keeps a Vivaldi coordinate, publishes and checks signed heartbeats. The same class runs in
 * a tab and in the headless Node.js node; only the libp2p transports differ.
 */
export class MeshNode extends EventTarget {
  readonly #c: MeshNodeComponents
  readonly #key: Ed25519PrivateKey
  readonly #init: Required<MeshNodeInit>
  readonly #budget: ConnectionBudget
  readonly #backoff = new DialBackoff()
  /** Peers not to dial until the given time (ms): e.g. refused by the TrustChain handshake. */
  readonly #avoided = new Map<string, number>()
  readonly #vivaldi: VivaldiClient
  readonly #validator: HeartbeatValidator
  readonly #sequencer = new HeartbeatSequencer()
  readonly #nodes = new Map<string, NodeInfo>()
  /** Known direct-dial addresses per peer, from the bootstrap answer and heartbeats. */
  readonly #candidates = new Map<
    string,
    { addrs: Multiaddr[]; hint: { directPeers: number; at: number } | null }
  >()
  /** Peers being dialled, with when the dial started. */
  readonly #dialing = new Map<string, number>()
  readonly #rtt = new Map<string, number>()
  readonly #rtts = new RttProber()
  readonly #timers: ReturnType<typeof setInterval>[] = []
  readonly #timeouts = new Set<ReturnType<typeof setTimeout>>()
  #relayAddrs: Multiaddr[] = []
  #relayPeerId: string | null = null
  #relayError: string | null = null
  #relayRetryMs = RELAY_RETRY_MIN_MS
  #nextRetryAt: number | null = null
  #relayTimer: ReturnType<typeof setTimeout> | null = null
  #connectingRelay = false
  #firstDirectAt: number | null = null
  #stopped = false
  #changeQueued = false
  readonly #dialStats = {
    attempts: 0,
    succeeded: 0,
    failed: 0,
    durations: [] as number[],
    recentFailures: [] as { name: string; message: string; ms: number }[],
  }
  #lastHeartbeatAt = 0
  #heartbeatDeferred = false
  /** Whether the last heartbeat listed any direct peer: others decide who dials on it. */
  #announcedHasPeers = false
  #aloneSince: number | null = null
  #announcedAddrs = ''
  #lastBootstrapAt = 0
  #refreshing = false

  constructor(init: MeshNodeInit, components: MeshNodeComponents) {
    super()
    if (components.privateKey.type !== 'Ed25519') {
      // Heartbeats and (later) ledger transactions are Ed25519-signed: peer ID = account.
      throw new TypeError('MeshNode: the identity key must be Ed25519')
    }
    this.#c = components
    this.#key = components.privateKey
    this.#init = {
      targetDirectPeers: 4,
      maxDirectPeers: 16,
      connectionBudget: 450,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      pingIntervalMs: 10_000,
      nodeExpiryMs: 30_000,
      ...init,
    }
    if (this.#init.targetDirectPeers > this.#init.maxDirectPeers) {
      throw new RangeError('MeshNode: targetDirectPeers must not exceed maxDirectPeers')
    }
    this.#budget = new ConnectionBudget(
      this.#init.connectionBudget,
      Math.min(50, Math.floor(this.#init.connectionBudget / 5)),
    )
    this.#vivaldi = new VivaldiClient({ random: components.random })
    this.#validator = new HeartbeatValidator({ clock: components.clock })
  }

  /** This node's peer ID. */
  get peerId(): string {
    return this.#c.libp2p.peerId.toString()
  }

  /** The libp2p node underneath (for benches and tests). */
  get libp2p(): Libp2p<MeshServices> {
    return this.#c.libp2p
  }

  /** Start: subscribe, listen for connections, reach the relay, start the periodic work. */
  async start(): Promise<void> {
    const { libp2p } = this.#c
    await handleRtt(libp2p)
    const pubsub = libp2p.services.pubsub
    pubsub.topicValidators.set(HEARTBEAT_TOPIC, (_peer, message) => this.#onHeartbeat(message))
    pubsub.subscribe(HEARTBEAT_TOPIC)
    pubsub.addEventListener('subscription-change', (evt) => {
      // A peer just joined the heartbeat topic (typically a newcomer through the relay): tell it
      // about this node now rather than at the next period, so it has someone to dial.
      if (evt.detail.subscriptions.some((s) => s.topic === HEARTBEAT_TOPIC && s.subscribe)) {
        void this.#publishHeartbeat()
      }
    })
    libp2p.addEventListener('connection:open', (evt) => this.#onConnectionOpen(evt.detail))
    libp2p.addEventListener('connection:close', (evt) => this.#onConnectionClose(evt.detail))
    libp2p.addEventListener('self:peer:update', () => {
      // A new reservation gives this node its dialable `/p2p-circuit/webrtc` address: announce it
      // at once instead of at the next period, so others can dial it within a second of joining.
      const addrs = this.#dialableAddrs().join(' ')
      if (addrs !== this.#announcedAddrs) void this.#publishHeartbeat()
      this.#changed()
    })
    this.#timers.push(
      setInterval(() => void this.#publishHeartbeat(), this.#init.heartbeatIntervalMs),
    )
    this.#timers.push(setInterval(() => void this.#pingAll(), this.#init.pingIntervalMs))
    this.#timers.push(setInterval(() => this.#maintain(), MAINTAIN_INTERVAL_MS))
    await this.#connectRelay()
  }

  /** Stop all periodic work and the libp2p node. */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const t of this.#timers) clearInterval(t)
    for (const t of this.#timeouts) clearTimeout(t)
    if (this.#relayTimer !== null) clearTimeout(this.#relayTimer)
    await this.#c.libp2p.stop()
  }

  /** The current state. */
  state(): MeshNodeState {
    return {
      peerId: this.peerId,
      relayPeerId: this.#relayPeerId,
      relayConnected: this.#relayConnected(),
      relayError: this.#relayError,
      nextRetryAt: this.#nextRetryAt,
      connections: this.#connectionInfos(),
      nodes: [...this.#nodes.values()],
      coordinate: this.#vivaldi.coordinate,
      heartbeats: {
        accepted: this.#validator.stats.accepted,
        dropped: { ...this.#validator.stats.dropped },
      },
      connectionsCreated: this.#budget.spent,
      firstDirectAt: this.#firstDirectAt,
      dials: {
        attempts: this.#dialStats.attempts,
        succeeded: this.#dialStats.succeeded,
        failed: this.#dialStats.failed,
        medianMs: median(this.#dialStats.durations),
        recentFailures: [...this.#dialStats.recentFailures],
      },
    }
  }

  // --- relay -------------------------------------------------------------------------------

  #relayConnected(): boolean {
    const relay = this.#relayPeerId
    if (relay === null) return false
    return this.#c.libp2p.getConnections().some((c) => c.remotePeer.toString() === relay)
  }

  async #connectRelay(): Promise<void> {
    if (this.#stopped || this.#connectingRelay) return
    this.#connectingRelay = true
    this.#nextRetryAt = null
    try {
      const answer = await this.#c.fetchBootstrap({ signal: AbortSignal.timeout(10_000) })
      this.#lastBootstrapAt = this.#c.clock.now()
      this.#relayAddrs = answer.relayAddrs.map((a) => multiaddr(a))
      this.#relayPeerId = answer.relayPeerId
      for (const p of answer.peers) this.#addCandidate(p.peerId, p.addrs, p.directPeers)
      // Dial the newest peers as soon as the relay is reachable: signalling needs only the
      // relay connection, not this node's own reservation.
      await this.#c.libp2p.dial(this.#relayAddrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      this.#relayError = null
      this.#relayRetryMs = RELAY_RETRY_MIN_MS
      this.#maintain()
      // The answer may predate the relay connection by a second (a tab fetches it while its
      // node boots); tabs that took a reservation meanwhile are the ones to dial, so ask again.
      if (this.#candidates.size < this.#init.targetDirectPeers) void this.#refreshCandidates()
      void this.#publishHeartbeat()
    } catch (err) {
      this.#relayError = relayProblem(err, this.#relayAddrs)
      this.#scheduleRelayRetry()
    } finally {
      this.#connectingRelay = false
      this.#changed()
    }
  }

  #scheduleRelayRetry(): void {
    if (this.#stopped || this.#relayTimer !== null) return
    const delay = this.#relayRetryMs
    this.#relayRetryMs = Math.min(RELAY_RETRY_MAX_MS, this.#relayRetryMs * 2)
    this.#nextRetryAt = this.#c.clock.now() + delay
    this.#relayTimer = setTimeout(() => {
      this.#relayTimer = null
      void this.#connectRelay()
    }, delay)
  }

  // --- connections -------------------------------------------------------------------------

  #directConnections(): Connection[] {
    return this.#c.libp2p
      .getConnections()
      .filter((c) => c.status === 'open' && connectionTransport(c) === 'webrtc')
  }

  #directPeers(): Set<string> {
    return new Set(this.#directConnections().map((c) => c.remotePeer.toString()))
  }

  #connectionInfos(): ConnectionInfo[] {
    return this.#c.libp2p
      .getConnections()
      .filter((c) => c.status === 'open')
      .map((c) => ({
        id: c.id,
        peerId: c.remotePeer.toString(),
        transport: connectionTransport(c),
        rttMs: this.#rtt.get(c.remotePeer.toString()) ?? null,
        openedAt: c.timeline.open,
        direction: c.direction,
      }))
  }

  #onConnectionOpen(connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (connectionTransport(connection) === 'webrtc') {
      if (connection.direction === 'inbound') {
        this.#budget.spend()
        const direct = this.#directPeers()
        if (!this.#budget.canAccept() || direct.size > this.#init.maxDirectPeers) {
          void connection.close().catch(() => undefined)
          this.#changed()
          return
        }
      }
      if (this.#firstDirectAt === null) this.#firstDirectAt = this.#c.clock.now()
      this.#backoff.succeeded(peer)
      // The relayed connection only carried signalling; close it so the relay's limited slots
      // stay free and traffic never takes the slow path, but not at once: the other side may
      // still be finishing the signalling exchange on it, and closing under it aborts the dial.
      this.#later(RELAYED_CLOSE_DELAY_MS, () => this.#closeRelayed(connection.remotePeer))
      void this.#pingOne(connection)
      this.#announceIfPeersChanged()
    } else if (peer === this.#relayPeerId) {
      this.#relayError = null
      this.#relayRetryMs = RELAY_RETRY_MIN_MS
    }
    this.#changed()
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timeouts.delete(t)
      if (!this.#stopped) fn()
    }, ms)
    this.#timeouts.add(t)
  }

  #closeRelayed(remote: PeerId): void {
    const conns = this.#c.libp2p.getConnections(remote)
    if (!conns.some((c) => c.status === 'open' && connectionTransport(c) === 'webrtc')) return
    for (const c of conns) {
      if (connectionTransport(c) === 'relay') void c.close().catch(() => undefined)
    }
  }

  /**
   * Two peers that dialled each other at once end up with two WebRTC connections. Once both are
   * old enough that no handshake or first stream is still using them, keep one — chosen the same
   * way on both sides: the one dialled by the smaller peer ID — and close the other.
   */
  #dedupe(now: number): void {
    const self = this.peerId
    const byPeer = new Map<string, Connection[]>()
    for (const c of this.#directConnections()) {
      const id = c.remotePeer.toString()
      byPeer.set(id, [...(byPeer.get(id) ?? []), c])
    }
    for (const [other, conns] of byPeer) {
      if (conns.length < 2 || conns.some((c) => now - c.timeline.open < DUPLICATE_SETTLE_MS))
        continue
      const keepDirection = self < other ? 'outbound' : 'inbound'
      const keep = conns.find((c) => c.direction === keepDirection) ?? conns[0]
      for (const c of conns) if (c !== keep) void c.close().catch(() => undefined)
    }
  }

  /**
   * Announce at once when this node gains its first direct peer or loses its last: newcomers and
   * the bootstrap server pick whom to dial by it (#mayDial), and a stale "no peers" makes a
   * newcomer wait for a dial that never comes.
   */
  #announceIfPeersChanged(): void {
    if (this.#directConnections().length > 0 !== this.#announcedHasPeers) {
      void this.#publishHeartbeat()
    }
  }

  #onConnectionClose(connection: Connection): void {
    this.#rtts.forget(connection.id)
    this.#announceIfPeersChanged()
    const peer = connection.remotePeer.toString()
    if (peer === this.#relayPeerId && !this.#relayConnected()) {
      this.#relayError = 'Lost the connection to the bootstrap relay; reconnecting.'
      this.#scheduleRelayRetry()
    }
    if (!this.#c.libp2p.getConnections(connection.remotePeer).some((c) => c.status === 'open')) {
      this.#rtt.delete(peer)
    }
    this.#changed()
  }

  /**
   * @param directPeers the peer's direct-peer count as the bootstrap server last saw it (null:
   *   unknown; undefined: learnt from the peer's own heartbeat, which `#nodes` holds)
   */
  #addCandidate(peerId: string, addrs: string[], directPeers?: number | null): void {
    if (peerId === this.peerId) return
    const direct: Multiaddr[] = []
    for (const a of addrs) {
      try {
        const ma = multiaddr(a)
        const names = ma.getComponents().map((c) => c.name)
        // Only addresses that lead to a direct WebRTC link are worth an RTCPeerConnection.
        if (names.includes('webrtc') && names.includes('p2p-circuit')) direct.push(ma)
      } catch {
        // A malformed address in someone's heartbeat is their problem, not a reason to stop.
      }
    }
    if (direct.length === 0) return
    const previous = this.#candidates.get(peerId)
    const hint =
      directPeers === undefined || directPeers === null
        ? (previous?.hint ?? null)
        : { directPeers, at: this.#c.clock.now() }
    // Re-inserted so the map stays ordered by freshness and the oldest entry is the one to drop.
    this.#candidates.delete(peerId)
    while (this.#candidates.size >= MAX_CANDIDATES) {
      const oldest = this.#candidates.keys().next()
      if (oldest.done === true) break
      this.#candidates.delete(oldest.value)
    }
    this.#candidates.set(peerId, { addrs: direct, hint })
  }

  /**
   * How many direct peers `peer` has, from the freshest of its own last heartbeat and the
   * bootstrap server's hint; null when neither has been seen.
   */
  #directCountOf(peer: string): number | null {
    const hb = this.#nodes.get(peer)
    const hint = this.#candidates.get(peer)?.hint ?? null
    if (hb !== undefined && (hint === null || hb.lastSeen >= hint.at)) return hb.neighbours.length
    return hint?.directPeers ?? null
  }

  /**
   * Who dials whom. When two WebRTC dials cross (each side dialling the other through the relay)
   * both can hang until they time out, and when both succeed one link has to be closed under the
   * streams already on it; so for every pair exactly one side dials:
   * - a node with no direct peer yet dials peers that have some, at once and whatever their IDs
   *   (that is the join: page open → first direct peer), and those never dial it;
   * - between two nodes with peers, or two without, the smaller peer ID dials;
   * - a node alone for ALONE_FALLBACK_MS dials anyone, so nobody stays unconnected.
   */
  #mayDial(peer: string, alone: boolean, desperate: boolean): boolean {
    if (desperate) return true
    const theirs = this.#directCountOf(peer)
    const theyHavePeers = theirs !== null && theirs > 0
    if (alone) return theyHavePeers || this.peerId < peer
    return theyHavePeers && this.peerId < peer
  }

  /**
   * A direct link to `peerId` for a protocol that needs one (remote memory), when the mesh has
   * none to it right now: a dial through the relay to its announced WebRTC address, outside the
   * target count of direct peers (the link is kept or closed like any other). Resolves at once if
   * a link is open.
   *
   * @throws {Error} no address of the peer was heard, the connection budget is spent, or the dial
   *   failed
   */
  async connect(peerId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#directPeers().has(peerId)) return
    const addrs = this.#candidates.get(peerId)?.addrs
    if (addrs === undefined) throw new Error(`no dialable address of ${peerId} was heard`)
    if (!this.#budget.canDial()) throw new Error('this tab has spent its WebRTC connection budget')
    this.#budget.spend()
    this.#dialStats.attempts++
    await this.#c.libp2p.dial(addrs, {
      signal: options.signal ?? AbortSignal.timeout(DIAL_TIMEOUT_MS),
    })
    this.#dialStats.succeeded++
  }

  /**
   * Do not dial `peerId` for `forMs` (it failed the TrustChain handshake, or refused ours): a
   * refused link is closed, and redialling it would only repeat the refusal.
   */
  avoid(peerId: string, forMs: number): void {
    const until = this.#c.clock.now() + forMs
    this.#avoided.set(peerId, Math.max(until, this.#avoided.get(peerId) ?? 0))
    for (const [p, t] of this.#avoided) if (t <= this.#c.clock.now()) this.#avoided.delete(p)
  }

  /** Dial towards the target number of direct peers; runs every second and on every change. */
  #maintain(): void {
    if (this.#stopped) return
    const now = this.#c.clock.now()
    for (const [peer, info] of this.#nodes) {
      if (now - info.lastSeen > this.#init.nodeExpiryMs) {
        this.#nodes.delete(peer)
        this.#candidates.delete(peer)
        this.#vivaldi.forget(peer)
        this.#changed()
      }
    }
    if (!this.#relayConnected() && this.#relayTimer === null && !this.#connectingRelay) {
      this.#scheduleRelayRetry()
    }
    this.#dedupe(now)
    const direct = this.#directPeers()
    // A few dials at a time: every WebRTC handshake costs CPU, and a tab that opens many at once
    // on a busy machine gets none of them done in time.
    // Alone, one dial at a time: the first link comes soonest when the newcomer's CPU goes to one
    // handshake (two noise handshakes and two peer connections at once finished together, later).
    let slots = (direct.size === 0 ? 1 : MAX_PARALLEL_DIALS) - this.#dialing.size
    if (direct.size === 0 && slots <= 0 && this.#dialing.size < MAX_PARALLEL_DIALS_ALONE) {
      // Alone, with every pending dial slow (a busy or vanished peer): start one more, staggered,
      // rather than wait out a 20 s timeout with no link at all.
      const youngest = Math.max(...this.#dialing.values())
      if (now - youngest >= DIAL_STAGGER_MS) slots = 1
    }
    let wanted = Math.min(this.#init.targetDirectPeers - direct.size - this.#dialing.size, slots)
    if (wanted <= 0) return
    if (direct.size === 0 && this.#dialing.size === 0 && now - this.#lastBootstrapAt > 1_000) {
      // Alone: ask the bootstrap server again; tabs that arrived together learn of each other
      // here before their first heartbeats have crossed the gossip mesh.
      void this.#refreshCandidates()
    }
    const alone = direct.size === 0
    if (!alone) this.#aloneSince = null
    else this.#aloneSince ??= now
    const desperate = this.#aloneSince !== null && now - this.#aloneSince >= ALONE_FALLBACK_MS
    const candidates = [...this.#candidates.keys()].filter(
      (p) =>
        !direct.has(p) &&
        !this.#dialing.has(p) &&
        this.#backoff.ready(p, now) &&
        (this.#avoided.get(p) ?? 0) <= now &&
        this.#mayDial(p, alone, desperate),
    )
    // Peers with links and the most room first (a newcomer's quickest link, and links spread
    // evenly instead of piling onto the oldest tabs), then nearest first when coordinates are
    // known (Vivaldi), else in random order.
    const rank = (p: string): number => {
      const n = this.#directCountOf(p)
      if (n === null || n === 0) return this.#init.maxDirectPeers
      return n < this.#init.maxDirectPeers ? n : this.#init.maxDirectPeers + 1
    }
    const order = candidates
      .map((p) => ({
        p,
        rank: rank(p),
        key: this.#predictedRtt(p) ?? 1e9 + this.#c.random.next(),
      }))
      .sort((a, b) => a.rank - b.rank || a.key - b.key)
    for (const { p } of order) {
      if (wanted <= 0 || !this.#budget.canDial()) break
      wanted--
      void this.#dial(p)
    }
  }

  async #refreshCandidates(): Promise<void> {
    if (this.#refreshing || !this.#relayConnected()) return
    this.#refreshing = true
    this.#lastBootstrapAt = this.#c.clock.now()
    try {
      const answer = await this.#c.fetchBootstrap({ signal: AbortSignal.timeout(10_000) })
      for (const p of answer.peers) this.#addCandidate(p.peerId, p.addrs, p.directPeers)
    } catch {
      // The relay connection's own retry handles an unreachable server.
    } finally {
      this.#refreshing = false
    }
    this.#maintain()
    this.#askAgainSoonIfAlone()
  }

  /** See ALONE_FAST_ASK_MS. */
  #askAgainSoonIfAlone(): void {
    const now = this.#c.clock.now()
    const alone = this.#directPeers().size === 0 && this.#dialing.size === 0
    if (!alone || this.#stopped || !this.#relayConnected()) return
    this.#aloneSince ??= now
    if (now - this.#aloneSince >= ALONE_FAST_ASK_WINDOW_MS) return
    this.#later(ALONE_FAST_ASK_MS, () => {
      if (this.#directPeers().size === 0 && this.#dialing.size === 0) {
        void this.#refreshCandidates()
      }
    })
  }

  #dialableAddrs(): string[] {
    return this.#c.libp2p
      .getMultiaddrs()
      .map((a) => a.toString())
      .filter((a) => a.includes('/p2p-circuit/webrtc'))
      .slice(0, 8)
  }

  #predictedRtt(peer: string): number | null {
    const remote = this.#nodes.get(peer)?.coordinate
    const own = this.#vivaldi.coordinate
    if (remote == null) return null
    const d = own.vec.reduce((s, x, i) => s + (x - (remote.vec[i] ?? 0)) ** 2, 0)
    return Math.sqrt(d) + own.height + remote.height
  }

  async #dial(peer: string): Promise<void> {
    const addrs = this.#candidates.get(peer)?.addrs
    if (addrs === undefined) return
    this.#dialing.set(peer, this.#c.clock.now())
    this.#budget.spend()
    this.#dialStats.attempts++
    const started = this.#c.clock.now()
    // Alone, a slow dial gets a second one beside it after DIAL_STAGGER_MS, not at the next tick.
    if (this.#directPeers().size === 0) this.#later(DIAL_STAGGER_MS, () => this.#maintain())
    try {
      await this.#c.libp2p.dial(addrs, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      this.#dialStats.succeeded++
      this.#dialStats.durations.push(this.#c.clock.now() - started)
      if (this.#dialStats.durations.length > 32) this.#dialStats.durations.shift()
    } catch (err) {
      this.#backoff.failed(peer, this.#c.clock.now())
      this.#dialStats.failed++
      const e = err instanceof Error ? err : new Error(String(err))
      this.#dialStats.recentFailures.push({
        name: e.name,
        message: e.message.slice(0, 160),
        ms: this.#c.clock.now() - started,
      })
      if (this.#dialStats.recentFailures.length > 5) this.#dialStats.recentFailures.shift()
    } finally {
      this.#dialing.delete(peer)
      this.#changed()
      this.#maintain()
    }
  }

  // --- RTT and coordinates -----------------------------------------------------------------

  async #pingAll(): Promise<void> {
    await Promise.all(this.#directConnections().map((c) => this.#pingOne(c)))
  }

  async #pingOne(connection: Connection): Promise<void> {
    try {
      const rtt = await this.#rtts.probe(connection)
      const id = connection.remotePeer.toString()
      this.#rtt.set(id, rtt)
      const remote = this.#nodes.get(id)?.coordinate
      if (remote != null) this.#vivaldi.update(id, remote, rtt)
      this.#changed()
    } catch {
      // A lost probe is normal on a closing link; the next round measures again.
    }
  }

  // --- heartbeats --------------------------------------------------------------------------

  async #publishHeartbeat(): Promise<void> {
    if (this.#stopped) return
    const now = this.#c.clock.now()
    // Announcements (new address, first or last direct peer, a newcomer subscribing) come on top
    // of the period; keep them ≤ 2/s, deferring rather than dropping one, since each says
    // something the others need now.
    const wait = this.#lastHeartbeatAt + MIN_HEARTBEAT_GAP_MS - now
    if (wait > 0) {
      if (!this.#heartbeatDeferred) {
        this.#heartbeatDeferred = true
        this.#later(wait, () => {
          this.#heartbeatDeferred = false
          void this.#publishHeartbeat()
        })
      }
      return
    }
    this.#lastHeartbeatAt = now
    const direct = this.#directConnections()
    this.#announcedHasPeers = direct.length > 0
    const { libp2p } = this.#c
    const addrs = this.#dialableAddrs()
    this.#announcedAddrs = addrs.join(' ')
    try {
      const bytes = await encodeHeartbeat(
        {
          peerId: this.peerId,
          seq: this.#sequencer.next(this.#c.clock.now()),
          timestamp: this.#c.clock.now(),
          coordinate: this.#vivaldi.coordinate,
          neighbours: direct.slice(0, 64).map((c) => ({
            peerId: c.remotePeer.toString(),
            rttMs: this.#rtt.get(c.remotePeer.toString()) ?? null,
          })),
          capabilities: this.#init.capabilities,
          appVersion: this.#init.appVersion,
          addrs,
        },
        this.#key,
      )
      await libp2p.services.pubsub.publish(HEARTBEAT_TOPIC, bytes)
    } catch (err) {
      // Publishing with no peer yet is normal (the next period tries again); an encoding error is
      // a bug that would silence this node on the map, so it is reported.
      const name = err instanceof Error ? err.name : 'Error'
      if (name.startsWith('Heartbeat') || name.startsWith('Malformed')) {
        console.error(`heartbeat not published: ${name}: ${(err as Error).message}`)
      }
    }
  }

  async #onHeartbeat(message: {
    data: Uint8Array
    from?: PeerId
    type?: string
  }): Promise<TopicValidatorResult> {
    const from =
      'from' in message && message.from !== undefined ? message.from.toString() : undefined
    const result = await this.#validator.check(message.data, from)
    if (!result.ok) {
      this.#changed()
      // An older heartbeat arriving after a newer one (two paths through the mesh) or late is
      // dropped without blame: Ignore, not Reject, which would cost an honest forwarder its
      // gossipsub score. Everything else is the sender's doing.
      return result.reason === 'replay' || result.reason === 'stale'
        ? TopicValidatorResult.Ignore
        : TopicValidatorResult.Reject
    }
    const hb = result.heartbeat
    if (hb.peerId !== this.peerId) {
      const known = this.#nodes.get(hb.peerId)
      this.#nodes.set(hb.peerId, {
        peerId: hb.peerId,
        lastSeen: this.#c.clock.now(),
        coordinate: hb.coordinate,
        neighbours: hb.neighbours,
        capabilities: hb.capabilities,
        appVersion: hb.appVersion,
        seq: hb.seq,
      })
      this.#addCandidate(hb.peerId, hb.addrs)
      if (known === undefined) this.#maintain()
      this.#changed()
    }
    return TopicValidatorResult.Accept
  }

  // --- change notification -----------------------------------------------------------------

  #changed(): void {
    if (this.#changeQueued) return
    this.#changeQueued = true
    // Coalesce bursts (many connection events at once) into one notification.
    queueMicrotask(() => {
      this.#changeQueued = false
      this.dispatchEvent(new Event('change'))
    })
  }
}

function relayProblem(err: unknown, addrs: Multiaddr[]): string {
  const where = addrs.length > 0 ? ` at ${addrs[0]?.toString()}` : ''
  const name = err instanceof Error ? err.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `The bootstrap relay${where} did not answer in time.`
  }
  return `Cannot reach the bootstrap relay${where}.`
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? null
}
