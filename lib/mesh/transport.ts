import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Transport } from './types'

/**
 * Classify a connection by its remote address. A private-to-private WebRTC connection's address
 * still names the relay it was signalled through (`…/p2p-circuit/webrtc/…`), but its bytes flow
 * over a direct RTCPeerConnection, so `webrtc` wins over `p2p-circuit`.
 */
export function transportOf(addr: Multiaddr): Transport {
  const names = addr.getComponents().map((c) => c.name)
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return 'webrtc'
  if (names.includes('p2p-circuit')) return 'relay'
  if (names.includes('webtransport')) return 'webtransport'
  return 'websockets'
}

/** The transport of an open libp2p connection. */
export function connectionTransport(connection: Connection): Transport {
  return transportOf(connection.remoteAddr)
}
