import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseBootstrapAnswer, MAX_BOOTSTRAP_PEERS } from './bootstrap-answer'
import { InvalidBootstrapAnswerError } from './errors'

const relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const relayAddr = `/ip4/127.0.0.1/tcp/3001/ws/p2p/${relay}`

function valid(): Record<string, unknown> {
  return {
    relayPeerId: relay,
    relayAddrs: [relayAddr],
    peers: [
      {
        peerId: alice,
        addrs: [`${relayAddr}/p2p-circuit/webrtc/p2p/${alice}`],
        directPeers: 3,
      },
    ],
    iceServers: ['stun:stun.example.org:3478'],
  }
}

function fieldOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidBootstrapAnswerError)
    return (err as InvalidBootstrapAnswerError).field
  }
  throw new Error('expected InvalidBootstrapAnswerError')
}

describe('parseBootstrapAnswer', () => {
  it('accepts what the server sends', () => {
    expect(parseBootstrapAnswer(valid())).toEqual(valid())
  })

  it('treats a missing direct-peer count as unknown and rejects a bad one', () => {
    const peer = { peerId: alice, addrs: [] }
    expect(parseBootstrapAnswer({ ...valid(), peers: [peer] }).peers[0]?.directPeers).toBeNull()
    for (const bad of [-1, 1.5, 1025, '3', Number.NaN]) {
      expect(
        fieldOf(() => parseBootstrapAnswer({ ...valid(), peers: [{ ...peer, directPeers: bad }] })),
      ).toBe('peers[0].directPeers')
    }
  })

  it('treats a missing ICE list as none', () => {
    const { iceServers: _, ...rest } = valid()
    expect(parseBootstrapAnswer(rest).iceServers).toEqual([])
  })

  it('names the first bad field', () => {
    expect(fieldOf(() => parseBootstrapAnswer(null))).toBe('answer')
    expect(fieldOf(() => parseBootstrapAnswer([]))).toBe('answer')
    expect(fieldOf(() => parseBootstrapAnswer({ ...valid(), relayPeerId: 'nope' }))).toBe(
      'relayPeerId',
    )
    expect(fieldOf(() => parseBootstrapAnswer({ ...valid(), relayAddrs: [] }))).toBe('relayAddrs')
    expect(
      fieldOf(() => parseBootstrapAnswer({ ...valid(), relayAddrs: ['/ip4/999.1.1.1/tcp/1'] })),
    ).toBe('relayAddrs[0]')
    expect(
      fieldOf(() => parseBootstrapAnswer({ ...valid(), peers: [{ peerId: alice, addrs: 'x' }] })),
    ).toBe('peers[0].addrs')
    expect(
      fieldOf(() =>
        parseBootstrapAnswer({
          ...valid(),
          peers: Array.from({ length: MAX_BOOTSTRAP_PEERS + 1 }, () => ({
            peerId: alice,
            addrs: [],
          })),
        }),
      ),
    ).toBe('peers')
    expect(fieldOf(() => parseBootstrapAnswer({ ...valid(), iceServers: ['http://evil'] }))).toBe(
      'iceServers[0]',
    )
  })

  it('never throws anything but its typed error on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseBootstrapAnswer(json)
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidBootstrapAnswerError)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('never throws anything but its typed error when fields of a valid answer are replaced', () => {
    const keys = ['relayPeerId', 'relayAddrs', 'peers', 'iceServers'] as const
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.anything(), (key, value) => {
        try {
          const parsed = parseBootstrapAnswer({ ...valid(), [key]: value })
          // Whatever was accepted is well-formed.
          expect(parsed.relayAddrs.length).toBeGreaterThan(0)
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidBootstrapAnswerError)
        }
      }),
      { numRuns: 500 },
    )
  })
})
