import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { readFileSync } from 'node:fs'
import { bytesEqual, compareBytes, concatBytes, toHex } from './bytes'
import {
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type SignedProposal,
  blockCid,
  blockHash,
  certificateHash,
  decodeBlock,
  decodeCertificate,
  decodeHeader,
  decodeProposal,
  encodeBlock,
  encodeCertificate,
  encodeHeader,
  encodeProposal,
  proposalSignBytes,
} from './codec'
import { MAX_PROPOSAL_BYTES, PROPOSAL_DOMAIN } from './constants'
import { ConsensusDecodeError } from './errors'
import { merkleRoot, merkleRootOfHashes, txHash, txsRoot } from './merkle'
import { decodeVote, encodeVote, type SignedVote } from './vote'

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const sig = fc.uint8Array({ minLength: 64, maxLength: 64 })
const uint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const chainId = fc.string({ minLength: 1, maxLength: 64 })

const header: fc.Arbitrary<BlockHeader> = fc.record({
  chainId,
  height: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: uint,
  parentHash: bytes32,
  lastCommitHash: bytes32,
  txsRoot: bytes32,
  stateRoot: bytes32,
  proposer: bytes32,
  committeeHash: bytes32,
})

const certificate: fc.Arbitrary<CommitCertificate> = fc
  .record({
    height: fc.integer({ min: 1, max: 1e12 }),
    round: fc.integer({ min: 0, max: 1000 }),
    blockHash: bytes32,
    precommits: fc.uniqueArray(fc.record({ validator: bytes32, timestamp: uint, signature: sig }), {
      maxLength: 8,
      selector: (p) => toHex(p.validator),
    }),
  })
  .map((c) => ({
    ...c,
    precommits: [...c.precommits].sort((a, b) => compareBytes(a.validator, b.validator)),
  }))

const block: fc.Arbitrary<Block> = fc.record({
  header,
  txs: fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 10 }),
  lastCommit: fc.option(certificate, { nil: null }),
})

const proposal: fc.Arbitrary<SignedProposal> = fc
  .tuple(block, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: -1, max: 999 }), sig)
  .filter(([, r, vr]) => vr < r)
  .map(([b, round, validRound, signature]) => ({
    height: b.header.height,
    round,
    validRound,
    block: b,
    signature,
  }))

const vote: fc.Arbitrary<SignedVote> = fc
  .record({
    chainId,
    height: fc.integer({ min: 1, max: 1e12 }),
    round: fc.integer({ min: 0, max: 1000 }),
    type: fc.constantFrom('prevote' as const, 'precommit' as const),
    blockHash: fc.option(bytes32, { nil: null }),
    timestamp: uint,
    validator: bytes32,
    signature: sig,
  })
  .map((v) => (v.type === 'prevote' ? { ...v, timestamp: 0 } : v))

/** Plain-object view (decoders return frozen objects; compare structure only). */
function plain<T>(x: T): T {
  return JSON.parse(
    JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? `b:${toHex(v)}` : v)),
  ) as T
}

function onlyDecodeErrors(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(ConsensusDecodeError)
    expect((e as ConsensusDecodeError).code).toBe('ERR_CONSENSUS_DECODE')
  }
}

/** Encode a CBOR map with the given (already encoded) entries in the given order. */
function rawMap(entries: [string, unknown][]): Uint8Array {
  return concatBytes(
    new Uint8Array([0xa0 + entries.length]),
    ...entries.flatMap(([k, v]) => [dagCbor.encode(k), dagCbor.encode(v)]),
  )
}

describe('codecs round-trip', () => {
  it('headers, certificates, blocks and proposals decode to what was encoded', () => {
    fc.assert(
      fc.property(header, (h) => {
        const bytes = encodeHeader(h)
        expect(plain(decodeHeader(bytes))).toEqual(plain(h))
        expect(encodeHeader(decodeHeader(bytes))).toEqual(bytes)
      }),
    )
    fc.assert(
      fc.property(certificate, (c) => {
        const bytes = encodeCertificate(c)
        expect(plain(decodeCertificate(bytes))).toEqual(plain(c))
      }),
    )
    fc.assert(
      fc.property(block, (b) => {
        const bytes = encodeBlock(b)
        expect(plain(decodeBlock(bytes))).toEqual(plain(b))
      }),
      { numRuns: 50 },
    )
    fc.assert(
      fc.property(proposal, (p) => {
        const bytes = encodeProposal(p)
        const back = decodeProposal(bytes)
        expect(plain(back)).toEqual(plain(p))
        expect(proposalSignBytes(back)).toEqual(proposalSignBytes(p))
      }),
      { numRuns: 50 },
    )
  })

  it('hashes the header alone: block hash = SHA-256(dag-cbor(header)), CID over the same digest', () => {
    fc.assert(
      fc.property(block, (b) => {
        const h = blockHash(b.header)
        expect(h).toEqual(sha256(encodeHeader(b.header)))
        expect(blockHash(decodeBlock(encodeBlock(b)).header)).toEqual(h)
        const cid = blockCid(b.header)
        expect(cid.version).toBe(1)
        expect(cid.code).toBe(dagCbor.code)
        expect(cid.multihash.code).toBe(0x12)
        expect(cid.multihash.digest).toEqual(h)
        if (b.lastCommit !== null) {
          expect(certificateHash(b.lastCommit)).toEqual(sha256(encodeCertificate(b.lastCommit)))
        }
      }),
      { numRuns: 30 },
    )
  })

  it('signs proposals over the domain, chain ID, height, round, valid round and block hash', () => {
    fc.assert(
      fc.property(proposal, (p) => {
        const expected = concatBytes(
          new TextEncoder().encode(PROPOSAL_DOMAIN),
          new Uint8Array([0]),
          dagCbor.encode({
            c: p.block.header.chainId,
            h: p.height,
            r: p.round,
            vr: p.validRound,
            b: blockHash(p.block.header),
          }),
        )
        expect(proposalSignBytes(p)).toEqual(expected)
      }),
      { numRuns: 30 },
    )
  })
})

describe('codecs are strict', () => {
  const h: BlockHeader = {
    chainId: 'c',
    height: 1,
    time: 5,
    parentHash: new Uint8Array(32),
    lastCommitHash: new Uint8Array(32),
    txsRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    proposer: new Uint8Array(32).fill(1),
    committeeHash: new Uint8Array(32),
  }
  const body = {
    c: 'c',
    h: 1,
    t: 5,
    p: h.parentHash,
    lc: h.lastCommitHash,
    tr: h.txsRoot,
    sr: h.stateRoot,
    pr: h.proposer,
    cm: h.committeeHash,
  }

  it('refuses missing, extra and mistyped fields', () => {
    expect(() => decodeHeader(dagCbor.encode({ ...body, x: 1 }))).toThrow(ConsensusDecodeError)
    const { cm: _cm, ...missing } = body
    expect(() => decodeHeader(dagCbor.encode(missing))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(dagCbor.encode({ ...body, h: 0 }))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(dagCbor.encode({ ...body, h: -1 }))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(dagCbor.encode({ ...body, t: 1.5 }))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(dagCbor.encode({ ...body, c: '' }))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(dagCbor.encode({ ...body, c: 'x'.repeat(65) }))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeHeader(dagCbor.encode({ ...body, p: new Uint8Array(31) }))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeHeader(dagCbor.encode([1, 2]))).toThrow(ConsensusDecodeError)
  })

  it('refuses a non-canonical encoding (map keys out of order)', () => {
    const canonical = encodeHeader(h)
    expect(rawMap(Object.entries(body).sort())).not.toEqual(canonical)
    expect(() => decodeHeader(rawMap(Object.entries(body).sort()))).toThrow(ConsensusDecodeError)
  })

  it('refuses certificates with unsorted or repeated validators', () => {
    const p = (v: number) => ({
      v: new Uint8Array(32).fill(v),
      ts: 1,
      s: new Uint8Array(64),
    })
    const base = { h: 1, r: 0, b: new Uint8Array(32) }
    expect(decodeCertificate(dagCbor.encode({ ...base, p: [p(1), p(2)] })).precommits).toHaveLength(
      2,
    )
    expect(() => decodeCertificate(dagCbor.encode({ ...base, p: [p(2), p(1)] }))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeCertificate(dagCbor.encode({ ...base, p: [p(1), p(1)] }))).toThrow(
      ConsensusDecodeError,
    )
  })

  it('refuses proposals with a valid round out of range or a block of another height', () => {
    const b = { hd: body, txs: [], lc: null }
    const s = new Uint8Array(64)
    expect(decodeProposal(dagCbor.encode({ h: 1, r: 1, vr: 0, blk: b, s })).validRound).toBe(0)
    expect(() => decodeProposal(dagCbor.encode({ h: 1, r: 1, vr: 1, blk: b, s }))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeProposal(dagCbor.encode({ h: 1, r: 0, vr: -2, blk: b, s }))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeProposal(dagCbor.encode({ h: 2, r: 0, vr: -1, blk: b, s }))).toThrow(
      ConsensusDecodeError,
    )
  })

  it('refuses oversized input before decoding it', () => {
    expect(() => decodeProposal(new Uint8Array(MAX_PROPOSAL_BYTES + 1))).toThrow(
      ConsensusDecodeError,
    )
    expect(() => decodeCertificate(new Uint8Array(70_000))).toThrow(ConsensusDecodeError)
    expect(() => decodeHeader(new Uint8Array(2_000))).toThrow(ConsensusDecodeError)
  })
})

describe('decoders under fuzzing', () => {
  const decoders = [decodeHeader, decodeBlock, decodeCertificate, decodeProposal, decodeVote]

  it('throw nothing but ConsensusDecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        for (const d of decoders) onlyDecodeErrors(() => d(bytes))
      }),
      { numRuns: 2_000 },
    )
  })

  it('throw nothing but ConsensusDecodeError on mutated valid encodings', () => {
    const encodings = fc.oneof(
      header.map(encodeHeader),
      block.map(encodeBlock),
      certificate.map(encodeCertificate),
      proposal.map(encodeProposal),
      vote.map(encodeVote),
    )
    fc.assert(
      fc.property(
        encodings,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (bytes, edits, cut) => {
          const mutated = new Uint8Array(bytes)
          for (const [i, v] of edits) mutated[i % mutated.length] = v
          for (const d of decoders) {
            onlyDecodeErrors(() => d(mutated))
            onlyDecodeErrors(() => d(bytes.subarray(0, cut % (bytes.length + 1))))
          }
        },
      ),
      { numRuns: 1_000 },
    )
  })

  it('accept exactly the canonical re-encoding of whatever they accept', () => {
    fc.assert(
      fc.property(
        fc.oneof(block.map(encodeBlock), proposal.map(encodeProposal)),
        fc.nat(),
        fc.nat(255),
        (bytes, i, v) => {
          const mutated = new Uint8Array(bytes)
          mutated[i % mutated.length] = v
          try {
            expect(bytesEqual(encodeBlock(decodeBlock(mutated)), mutated)).toBe(true)
          } catch (e) {
            expect(e).toBeInstanceOf(ConsensusDecodeError)
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('transactions root', () => {
  it('is the RFC 6962 tree hash (transparency-dev roots for sizes 0..8)', () => {
    const vectors = JSON.parse(
      readFileSync(new URL('../../testdata/vectors/merkle/roots.json', import.meta.url), 'utf8'),
    ) as { leafInputsHex: string[]; rootHashesHexBySize: string[] }
    const leaves = vectors.leafInputsHex.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')))
    vectors.rootHashesHexBySize.forEach((root, size) => {
      expect(toHex(merkleRoot(leaves.slice(0, size)))).toBe(root)
    })
  })

  it('has the transaction hashes as leaves', () => {
    const txs = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array()]
    expect(txsRoot(txs)).toEqual(merkleRootOfHashes(txs.map(txHash)))
    expect(txsRoot(txs)).toEqual(merkleRoot(txs.map((t) => sha256(t))))
    expect(txsRoot([])).toEqual(sha256(new Uint8Array()))
  })
})
