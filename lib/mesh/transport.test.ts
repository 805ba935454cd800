import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { transportOf } from './transport'

const RELAY = '12D3KooWRyKn39batPDi2LhbarJYUnBQTcLGZT12FUMgHcSsB2UD'
const PEER = '12D3KooWEyENZjZr6LTzV6YoQRyAwVTestgi7Mp4kpCE1uuDbQnb'

describe('transportOf', () => {
  it('calls a WebRTC link signalled through a relay direct WebRTC, never relayed', () => {
    expect(
      transportOf(
        multiaddr(`/ip4/127.0.0.1/tcp/3001/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`),
      ),
    ).toBe('webrtc')
  })

  it('classifies relayed, WebSockets and WebTransport links', () => {
    expect(
      transportOf(multiaddr(`/ip4/127.0.0.1/tcp/3001/ws/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`)),
    ).toBe('relay')
    expect(transportOf(multiaddr(`/ip4/127.0.0.1/tcp/3001/ws/p2p/${RELAY}`))).toBe('websockets')
    expect(transportOf(multiaddr(`/dns/example.org/tcp/443/wss/p2p/${RELAY}`))).toBe('websockets')
    expect(transportOf(multiaddr(`/ip4/1.2.3.4/udp/4001/quic-v1/webtransport/p2p/${RELAY}`))).toBe(
      'webtransport',
    )
  })
})
