import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { peerIdOfPublicKey } from '@/lib/trustchain/certificate'
import {
  PeerKeyError,
  isPeerId,
  keyHexFromPeerId,
  peerIdFromKeyHex,
  peerIdOrNull,
} from './peer-key'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

// Fixed keys so the expected peer IDs are plain data (from libp2p's own encoder, checked below).
const alice = hex(ed25519.getPublicKey(new Uint8Array(32).fill(1)))
const bob = hex(ed25519.getPublicKey(new Uint8Array(32).fill(2)))

describe('peer-key', () => {
  it('agrees with libp2p on the peer ID of a key, both ways', () => {
    for (const key of [alice, bob]) {
      const raw = Uint8Array.from(key.match(/../g)!, (h) => parseInt(h, 16))
      const expected = peerIdOfPublicKey(raw)
      expect(peerIdFromKeyHex(key)).toBe(expected)
      expect(peerIdFromKeyHex(key)).toMatch(/^12D3KooW/)
      expect(keyHexFromPeerId(expected)).toBe(key)
      expect(hex(peerIdFromString(expected).publicKey!.raw)).toBe(key)
    }
  })

  it('round-trips any 32-byte key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const key = hex(bytes)
        const peerId = peerIdFromKeyHex(key)
        expect(keyHexFromPeerId(peerId)).toBe(key)
        expect(hex(peerIdFromString(peerId).publicKey!.raw)).toBe(key)
      }),
      { numRuns: 200 },
    )
  })

  it('accepts upper-case hex and surrounding spaces in a peer ID', () => {
    expect(peerIdFromKeyHex(alice.toUpperCase())).toBe(peerIdFromKeyHex(alice))
    expect(keyHexFromPeerId(`  ${peerIdFromKeyHex(bob)} `)).toBe(bob)
  })

  it('refuses keys that are not 64 hex digits', () => {
    for (const bad of [
      '',
      'abc',
      alice.slice(2),
      `${alice}00`,
      `0x${alice.slice(2)}`,
      'g'.repeat(64),
    ]) {
      expect(() => peerIdFromKeyHex(bad)).toThrow(PeerKeyError)
      expect(peerIdOrNull(bad)).toBeNull()
    }
    expect(() => peerIdFromKeyHex(42 as unknown as string)).toThrow(PeerKeyError)
  })

  it('refuses text that is not an Ed25519 peer ID', () => {
    const ed = peerIdFromKeyHex(alice)
    const cases = [
      '',
      'hello world',
      // 0, O, I and l are not base58.
      `12D3KooW${'0'.repeat(44)}`,
      // An RSA peer ID (sha256 multihash) and a secp256k1 one: no ledger account.
      'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
      '16Uiu2HAkuR7JqVtKxzjrcwFpjs9TR6Ws2Y3ZJLWD8JcZTPXbJ8fq',
      // One character short, one too many.
      ed.slice(0, -1),
      `${ed}1`,
      'x'.repeat(200),
    ]
    for (const bad of cases) {
      let error: unknown
      try {
        keyHexFromPeerId(bad)
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(PeerKeyError)
      expect((error as PeerKeyError).code).toBe('ERR_PEER_KEY')
      expect(isPeerId(bad)).toBe(false)
    }
    expect(isPeerId(ed)).toBe(true)
  })
})
