/**
 * Wire formats of consensus besides votes (lib/consensus/vote.ts): block headers, blocks, commit
 * certificates and proposals. Every format is a dag-cbor map with short keys; decoders are strict
 * (exact key sets, types, lengths, ranges, size caps) and refuse any encoding but the canonical one,
 * so one object has exactly one byte string (hashes, de-duplication and evidence rely on it).
 * docs/consensus.md lists every field.
 *
 * Objects returned by the decoders are frozen; objects built by callers must not be mutated after
 * they are hashed ({@link blockHash} caches per header object).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { bytesEqual, compareBytes, domainSignBytes } from './bytes'
import {
  HASH_BYTES,
  MAX_BLOCK_ENCODED_BYTES,
  MAX_BLOCK_TXS_HARD,
  MAX_CERTIFICATE_BYTES,
  MAX_CERTIFICATE_PRECOMMITS,
  MAX_CHAIN_ID_LENGTH,
  MAX_PROPOSAL_BYTES,
  MAX_ROUND,
  MAX_TX_BYTES_HARD,
  PROPOSAL_DOMAIN,
  SIGNATURE_BYTES,
} from './constants'
import { ConsensusDecodeError } from './errors'

/** The header of a block: what the block hash, the proposal signature and the certificate cover. */
export interface BlockHeader {
  /** Chain ID from the genesis configuration. */
  chainId: string
  /** Height, from 1. */
  height: number
  /** BFT time in ms since the epoch: the genesis time at height 1, else the weighted median of `lastCommit`. */
  time: number
  /** Hash of the parent header; 32 zero bytes at height 1. */
  parentHash: Uint8Array
  /** SHA-256 of the encoded `lastCommit`; 32 zero bytes at height 1. */
  lastCommitHash: Uint8Array
  /** Merkle root over the transaction hashes (lib/consensus/merkle.ts). */
  txsRoot: Uint8Array
  /** Application state root after executing this block's transactions. */
  stateRoot: Uint8Array
  /** Public key of the validator that built the block. */
  proposer: Uint8Array
  /** Hash of the committee that decides this height (lib/consensus/committee.ts). */
  committeeHash: Uint8Array
}

/** One precommit of a commit certificate: a vote.ts precommit without the fields the certificate shares. */
export interface CommitPrecommit {
  /** Raw 32-byte Ed25519 key of the validator. */
  validator: Uint8Array
  /** The precommit's timestamp (ms since the epoch). */
  timestamp: number
  /** The precommit's signature over `voteSignBytes`. */
  signature: Uint8Array
}

/**
 * Proof that a block is final: precommits of more than 2/3 of the committee's power for one block
 * at one round, sorted by validator key (ascending, no repeats).
 */
export interface CommitCertificate {
  height: number
  round: number
  /** Hash of the certified block's header. */
  blockHash: Uint8Array
  precommits: readonly CommitPrecommit[]
}

/** A block: header, transactions (opaque to consensus) and the parent's commit certificate. */
export interface Block {
  header: BlockHeader
  txs: readonly Uint8Array[]
  /** Certificate of the parent block (its precommits give this block's time); `null` at height 1. */
  lastCommit: CommitCertificate | null
}

/** A proposal before it is signed. */
export interface Proposal {
  height: number
  round: number
  /** Round of the polka that made `block` the proposer's valid value, or −1 for a fresh block. */
  validRound: number
  block: Block
}

/** A proposal with the proposer's Ed25519 signature over {@link proposalSignBytes}. */
export interface SignedProposal extends Proposal {
  signature: Uint8Array
}

function fail(where: string, message: string): never {
  throw new ConsensusDecodeError(`${where}: ${message}`)
}

function isUint(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isBytes(x: unknown, length: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === length
}

function isMap(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array)
}

function hasKeys(m: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(m)
  return own.length === keys.length && keys.every((k) => Object.hasOwn(m, k))
}

function decodeRaw(where: string, bytes: Uint8Array, limit: number): unknown {
  if (!(bytes instanceof Uint8Array)) fail(where, 'expected bytes')
  if (bytes.length > limit) fail(where, `${bytes.length} bytes, limit ${limit}`)
  try {
    return dagCbor.decode(bytes)
  } catch (e) {
    fail(where, `not dag-cbor (${(e as Error).message})`)
  }
}

function checkCanonical(where: string, bytes: Uint8Array, again: Uint8Array): void {
  if (!bytesEqual(bytes, again)) fail(where, 'not canonical')
}

// ---------------------------------------------------------------------------------------------
// Header

const HEADER_KEYS = ['c', 'h', 't', 'p', 'lc', 'tr', 'sr', 'pr', 'cm'] as const

function headerBody(h: BlockHeader): Record<string, unknown> {
  return {
    c: h.chainId,
    h: h.height,
    t: h.time,
    p: h.parentHash,
    lc: h.lastCommitHash,
    tr: h.txsRoot,
    sr: h.stateRoot,
    pr: h.proposer,
    cm: h.committeeHash,
  }
}

function parseHeader(where: string, raw: unknown): BlockHeader {
  if (!isMap(raw) || !hasKeys(raw, HEADER_KEYS)) fail(where, 'header: wrong fields')
  const { c, h, t, p, lc, tr, sr, pr, cm } = raw
  if (typeof c !== 'string' || c.length === 0 || c.length > MAX_CHAIN_ID_LENGTH) {
    fail(where, 'header: bad chain ID')
  }
  if (!isUint(h) || h < 1) fail(where, 'header: bad height')
  if (!isUint(t)) fail(where, 'header: bad time')
  if (!isBytes(p, HASH_BYTES)) fail(where, 'header: bad parent hash')
  if (!isBytes(lc, HASH_BYTES)) fail(where, 'header: bad last commit hash')
  if (!isBytes(tr, HASH_BYTES)) fail(where, 'header: bad transactions root')
  if (!isBytes(sr, HASH_BYTES)) fail(where, 'header: bad state root')
  if (!isBytes(pr, HASH_BYTES)) fail(where, 'header: bad proposer key')
  if (!isBytes(cm, HASH_BYTES)) fail(where, 'header: bad committee hash')
  return Object.freeze({
    chainId: c,
    height: h,
    time: t,
    parentHash: p,
    lastCommitHash: lc,
    txsRoot: tr,
    stateRoot: sr,
    proposer: pr,
    committeeHash: cm,
  })
}

/** Encode a block header (canonical dag-cbor). */
export function encodeHeader(header: BlockHeader): Uint8Array {
  return dagCbor.encode(headerBody(header))
}

/** Decode a block header. Throws {@link ConsensusDecodeError}. */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const header = parseHeader('decodeHeader', decodeRaw('decodeHeader', bytes, 1024))
  checkCanonical('decodeHeader', bytes, encodeHeader(header))
  return header
}

const hashCache = new WeakMap<BlockHeader, Uint8Array>()

/**
 * The block hash: SHA-256 of the encoded header. Cached per header object (headers are treated as
 * immutable), so votes and certificates never re-encode a block.
 */
export function blockHash(header: BlockHeader): Uint8Array {
  let h = hashCache.get(header)
  if (h === undefined) {
    h = sha256(encodeHeader(header))
    hashCache.set(header, h)
  }
  return h
}

/** The block's CID: CIDv1, dag-cbor codec, SHA-256 multihash of the encoded header. */
export function blockCid(header: BlockHeader): CID {
  return CID.create(1, dagCbor.code, Digest.create(0x12, blockHash(header)))
}

// ---------------------------------------------------------------------------------------------
// Commit certificate

const CERT_KEYS = ['h', 'r', 'b', 'p'] as const
const PRECOMMIT_KEYS = ['v', 'ts', 's'] as const

function certificateBody(c: CommitCertificate): Record<string, unknown> {
  return {
    h: c.height,
    r: c.round,
    b: c.blockHash,
    p: c.precommits.map((p) => ({ v: p.validator, ts: p.timestamp, s: p.signature })),
  }
}

function parseCertificate(where: string, raw: unknown): CommitCertificate {
  if (!isMap(raw) || !hasKeys(raw, CERT_KEYS)) fail(where, 'certificate: wrong fields')
  const { h, r, b, p } = raw
  if (!isUint(h) || h < 1) fail(where, 'certificate: bad height')
  if (!isUint(r) || r > MAX_ROUND) fail(where, 'certificate: bad round')
  if (!isBytes(b, HASH_BYTES)) fail(where, 'certificate: bad block hash')
  if (!Array.isArray(p) || p.length > MAX_CERTIFICATE_PRECOMMITS) {
    fail(where, 'certificate: bad precommit list')
  }
  const precommits: CommitPrecommit[] = []
  let previous: Uint8Array | null = null
  for (const item of p as unknown[]) {
    if (!isMap(item) || !hasKeys(item, PRECOMMIT_KEYS)) fail(where, 'precommit: wrong fields')
    const { v, ts, s } = item
    if (!isBytes(v, HASH_BYTES)) fail(where, 'precommit: bad validator key')
    if (!isUint(ts)) fail(where, 'precommit: bad timestamp')
    if (!isBytes(s, SIGNATURE_BYTES)) fail(where, 'precommit: bad signature length')
    // One canonical order: ascending keys, no repeats (a repeat would count power twice).
    if (previous !== null && compareBytes(previous, v) >= 0) {
      fail(where, 'precommits not in ascending validator order')
    }
    previous = v
    precommits.push(Object.freeze({ validator: v, timestamp: ts, signature: s }))
  }
  return Object.freeze({ height: h, round: r, blockHash: b, precommits: Object.freeze(precommits) })
}

/** Encode a commit certificate (canonical dag-cbor). */
export function encodeCertificate(cert: CommitCertificate): Uint8Array {
  return dagCbor.encode(certificateBody(cert))
}

/**
 * Decode a commit certificate: shape, types, lengths, ascending distinct validators, canonical
 * bytes. Does not check signatures or power (see `verifyCommitCertificate`). Throws
 * {@link ConsensusDecodeError}.
 */
export function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  const cert = parseCertificate(
    'decodeCertificate',
    decodeRaw('decodeCertificate', bytes, MAX_CERTIFICATE_BYTES),
  )
  checkCanonical('decodeCertificate', bytes, encodeCertificate(cert))
  return cert
}

/** SHA-256 of the encoded certificate: a header's `lastCommitHash`. */
export function certificateHash(cert: CommitCertificate): Uint8Array {
  return sha256(encodeCertificate(cert))
}

// ---------------------------------------------------------------------------------------------
// Block

const BLOCK_KEYS = ['hd', 'txs', 'lc'] as const

function blockBody(b: Block): Record<string, unknown> {
  return {
    hd: headerBody(b.header),
    txs: b.txs,
    lc: b.lastCommit === null ? null : certificateBody(b.lastCommit),
  }
}

function parseBlock(where: string, raw: unknown): Block {
  if (!isMap(raw) || !hasKeys(raw, BLOCK_KEYS)) fail(where, 'block: wrong fields')
  const header = parseHeader(where, raw.hd)
  const txs = raw.txs
  if (!Array.isArray(txs) || txs.length > MAX_BLOCK_TXS_HARD) fail(where, 'block: bad tx list')
  for (const tx of txs as unknown[]) {
    if (!(tx instanceof Uint8Array) || tx.length > MAX_TX_BYTES_HARD) {
      fail(where, 'block: bad transaction')
    }
  }
  const lastCommit = raw.lc === null ? null : parseCertificate(where, raw.lc)
  return Object.freeze({
    header,
    txs: Object.freeze(txs as Uint8Array[]),
    lastCommit,
  })
}

/** Encode a block (canonical dag-cbor). */
export function encodeBlock(block: Block): Uint8Array {
  return dagCbor.encode(blockBody(block))
}

/** Decode a block (shape only: {@link validateBlock} in ./validate checks it against the chain). */
export function decodeBlock(bytes: Uint8Array): Block {
  const block = parseBlock('decodeBlock', decodeRaw('decodeBlock', bytes, MAX_BLOCK_ENCODED_BYTES))
  checkCanonical('decodeBlock', bytes, encodeBlock(block))
  return block
}

// ---------------------------------------------------------------------------------------------
// Proposal

const PROPOSAL_KEYS = ['h', 'r', 'vr', 'blk', 's'] as const

/**
 * The bytes a proposer signs: `"hypermesh/proposal/v1" ‖ 0x00 ‖ dag-cbor({ c, h, r, vr, b })`
 * with the chain ID, height, round, valid round and the block hash (never the whole block).
 */
export function proposalSignBytes(proposal: Proposal): Uint8Array {
  return domainSignBytes(PROPOSAL_DOMAIN, {
    c: proposal.block.header.chainId,
    h: proposal.height,
    r: proposal.round,
    vr: proposal.validRound,
    b: blockHash(proposal.block.header),
  })
}

/** Encode a signed proposal for the wire. */
export function encodeProposal(proposal: SignedProposal): Uint8Array {
  return dagCbor.encode({
    h: proposal.height,
    r: proposal.round,
    vr: proposal.validRound,
    blk: blockBody(proposal.block),
    s: proposal.signature,
  })
}

/**
 * Decode a proposal from the network: shape, types, ranges (−1 ≤ validRound < round), the block's
 * height equal to the proposal's, canonical bytes. Does not check the signature or the block
 * against the chain. Throws {@link ConsensusDecodeError}.
 */
export function decodeProposal(bytes: Uint8Array): SignedProposal {
  const where = 'decodeProposal'
  const raw = decodeRaw(where, bytes, MAX_PROPOSAL_BYTES)
  if (!isMap(raw) || !hasKeys(raw, PROPOSAL_KEYS)) fail(where, 'wrong fields')
  const { h, r, vr, s } = raw
  if (!isUint(h) || h < 1) fail(where, 'bad height')
  if (!isUint(r) || r > MAX_ROUND) fail(where, 'bad round')
  if (typeof vr !== 'number' || !Number.isSafeInteger(vr) || vr < -1 || vr >= r) {
    fail(where, 'bad valid round')
  }
  if (!isBytes(s, SIGNATURE_BYTES)) fail(where, 'bad signature length')
  const block = parseBlock(where, raw.blk)
  if (block.header.height !== h) fail(where, 'block of another height')
  const proposal: SignedProposal = Object.freeze({
    height: h,
    round: r,
    validRound: vr,
    block,
    signature: s,
  })
  checkCanonical(where, bytes, encodeProposal(proposal))
  return proposal
}
