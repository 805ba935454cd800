import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidBootstrapAnswerError } from './errors'

/** What the bootstrap server answers (GET /api/bootstrap). */
export interface BootstrapAnswer {
  relayPeerId: string
  relayAddrs: string[]
  peers: BootstrapPeer[]
  /** STUN/TURN server URLs for WebRTC; empty means host candidates only. */
  iceServers: string[]
}

/** A peer the bootstrap server suggests dialling. */
export interface BootstrapPeer {
  peerId: string
  addrs: string[]
  /**
   * How many direct WebRTC peers the peer reported in the last heartbeat the server checked
   * (null: none seen yet). A newcomer dials peers that already have links first; they do not
   * dial it back (MeshNode's dial rule), so the two never race each other.
   */
  directPeers: number | null
}

/** Limits that keep a hostile or broken server from flooding a node. */
export const MAX_BOOTSTRAP_RELAYS = 16
export const MAX_BOOTSTRAP_PEERS = 64
export const MAX_BOOTSTRAP_ADDRS_PER_PEER = 8
export const MAX_BOOTSTRAP_ADDR_LENGTH = 512
export const MAX_ICE_SERVERS = 8

function fail(field: string, reason: string): never {
  throw new InvalidBootstrapAnswerError(field, reason)
}

function peerIdString(x: unknown, field: string): string {
  if (typeof x !== 'string' || x.length > 128) fail(field, 'not a peer ID string')
  try {
    return peerIdFromString(x).toString()
  } catch {
    fail(field, 'not a peer ID')
  }
}

function addrList(x: unknown, field: string, max: number): string[] {
  if (!Array.isArray(x)) fail(field, 'not an array')
  if (x.length > max) fail(field, `more than ${max} entries`)
  return x.map((a, i) => {
    if (typeof a !== 'string' || a.length === 0 || a.length > MAX_BOOTSTRAP_ADDR_LENGTH) {
      fail(`${field}[${i}]`, 'not a multiaddr string')
    }
    try {
      return multiaddr(a).toString()
    } catch {
      fail(`${field}[${i}]`, 'not a multiaddr')
    }
  })
}

/**
 * Check the JSON the bootstrap server sent and return it typed. Throws
 * {@link InvalidBootstrapAnswerError} naming the first bad field; never anything else.
 *
 * @example
 * const answer = parseBootstrapAnswer(await (await fetch('/api/bootstrap')).json())
 */
export function parseBootstrapAnswer(json: unknown): BootstrapAnswer {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail('answer', 'not an object')
  const o = json as Record<string, unknown>
  const relayPeerId = peerIdString(o.relayPeerId, 'relayPeerId')
  const relayAddrs = addrList(o.relayAddrs, 'relayAddrs', MAX_BOOTSTRAP_RELAYS)
  if (relayAddrs.length === 0) fail('relayAddrs', 'empty')
  if (!Array.isArray(o.peers)) fail('peers', 'not an array')
  if (o.peers.length > MAX_BOOTSTRAP_PEERS)
    fail('peers', `more than ${MAX_BOOTSTRAP_PEERS} entries`)
  const peers = o.peers.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) fail(`peers[${i}]`, 'not an object')
    const q = p as Record<string, unknown>
    const direct = q.directPeers ?? null
    if (
      direct !== null &&
      (typeof direct !== 'number' || !Number.isInteger(direct) || direct < 0 || direct > 1024)
    ) {
      fail(`peers[${i}].directPeers`, 'not a count in 0…1024')
    }
    return {
      peerId: peerIdString(q.peerId, `peers[${i}].peerId`),
      addrs: addrList(q.addrs, `peers[${i}].addrs`, MAX_BOOTSTRAP_ADDRS_PER_PEER),
      directPeers: direct,
    }
  })
  const ice = o.iceServers ?? []
  if (!Array.isArray(ice) || ice.length > MAX_ICE_SERVERS) fail('iceServers', 'not a short array')
  const iceServers = ice.map((u: unknown, i) => {
    if (typeof u !== 'string' || !/^(stun|stuns|turn|turns):[^\s]{1,250}$/.test(u)) {
      fail(`iceServers[${i}]`, 'not a stun:/turn: URL')
    }
    return u
  })
  return { relayPeerId, relayAddrs, peers, iceServers }
}
