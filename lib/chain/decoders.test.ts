/**
 * Every decoder of network input in lib/chain, fuzzed: random bytes and mutations of valid
 * encodings give the decoder's typed error or a valid value, never another exception; the proof
 * verifier never throws at all.
 */
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeEd25519Verifier } from '@/lib/adapters/ed25519-node'
import { ConsensusError } from '@/lib/consensus/errors'
import { decodeStoredBlock, SyncFrameError } from './chain-node'
import { decodeSyncRequest, encodeSyncRequest, MAX_SYNC_BLOCKS, SyncRequestError } from './network'
import {
  decodeProofOfState,
  encodeProofOfState,
  ProofOfStateDecodeError,
  verifyProofOfState,
  type ProofOfState,
} from './proof-of-state'

function mutate(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  if (out.length > 0) out[at % out.length] = value
  return out
}

const sample: ProofOfState = {
  chainId: 'hypermesh-fuzz',
  header: new Uint8Array([1, 2, 3]),
  certificate: new Uint8Array([4, 5]),
  committee: [{ publicKey: new Uint8Array(32).fill(7), power: 3 }],
  facts: [
    { key: 'account/00', value: new Uint8Array([9]), proof: { siblings: [new Uint8Array(32)] } },
  ],
  tx: { bytes: new Uint8Array([1]), index: 0, count: 1, proof: [] },
}

describe('chain decoders under fuzzing', () => {
  it('decodeSyncRequest: round trips, refuses bad ranges with its typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: MAX_SYNC_BLOCKS - 1 }),
        (from, span) => {
          expect(decodeSyncRequest(encodeSyncRequest(from, from + span))).toEqual({
            from,
            to: from + span,
          })
        },
      ),
    )
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        try {
          const r = decodeSyncRequest(bytes)
          expect(r.from).toBeGreaterThanOrEqual(1)
          expect(r.to - r.from).toBeLessThan(MAX_SYNC_BLOCKS)
        } catch (e) {
          expect(e).toBeInstanceOf(SyncRequestError)
        }
      }),
    )
    expect(() => decodeSyncRequest(encodeSyncRequest(5, 4))).toThrow(SyncRequestError)
    expect(() => decodeSyncRequest(encodeSyncRequest(0, 4))).toThrow(SyncRequestError)
  })

  it('decodeStoredBlock: only SyncFrameError or the consensus codecs’ typed errors', () => {
    const frame = dagCbor.encode({ b: new Uint8Array([1, 2, 3]), c: new Uint8Array([4]) })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => mutate(frame, i, v)),
        ),
        (bytes) => {
          try {
            decodeStoredBlock(bytes)
          } catch (e) {
            expect(e instanceof SyncFrameError || e instanceof ConsensusError).toBe(true)
          }
        },
      ),
    )
  })

  it('decodeProofOfState: a bundle without its tx field is a typed error (found by the fuzzer)', () => {
    // seed -1022736601: a mutation renamed the key "tx" (to ";x"), leaving the field absent.
    const bytes = Buffer.from(
      'a761636e68797065726d6573682d66757a7a616681a3616b6a6163636f756e742f3030617381582000000000000000000000000000000000000000000000000000000000000000006176410961684301020361760162636d81a2616b58200707070707070707070707070707070707070707070707070707070707070707617003623b78a461624101616900616e016170806463657274420405',
      'hex',
    )
    expect(() => decodeProofOfState(new Uint8Array(bytes))).toThrow(ProofOfStateDecodeError)
    expect(() => decodeProofOfState(new Uint8Array(bytes))).toThrow(/bad transaction/)
  })

  it('decodeProofOfState and verifyProofOfState: typed error or a report, never a crash', () => {
    const valid = encodeProofOfState(sample)
    expect(decodeProofOfState(valid).chainId).toBe('hypermesh-fuzz')
    const trust = { chainId: 'hypermesh-fuzz', verifier: nodeEd25519Verifier(), now: Date.now() }
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => mutate(valid, i, v)),
        ),
        (bytes) => {
          try {
            decodeProofOfState(bytes)
          } catch (e) {
            expect(e).toBeInstanceOf(ProofOfStateDecodeError)
          }
          const report = verifyProofOfState(bytes, trust)
          // The sample's header is not a real header: no mutation of it can verify.
          expect(report.ok).toBe(false)
          expect(report.checks.length).toBeGreaterThan(0)
        },
      ),
    )
  })
})
