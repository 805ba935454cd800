/**
 * Votes: the one message format shared by the consensus protocol (lib/consensus) and the ledger,
 * which turns two conflicting votes by one validator into slashing evidence (lib/ledger). It lives
 * here, with no dependency on either's state, so the ledger can import it without a cycle.
 *
 * Wire form: dag-cbor map `{ c, h, r, t, b, ts, v, s }` (chain ID, height, round, type 1 = prevote,
 * 2 = precommit, block hash or null for nil, timestamp in ms (0 in prevotes), validator public key,
 * signature). Signed bytes: `"hypermesh/vote/v1" ‖ 0x00 ‖ dag-cbor({ c, h, r, t, b, ts, v })`.
 * docs/consensus.md specifies it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { ConsensusDecodeError } from './errors'

/** Domain separation tag of vote signatures. */
export const VOTE_DOMAIN = 'hypermesh/vote/v1'

/** Largest encoded vote accepted from the network (a real one is ~190 bytes). */
export const MAX_VOTE_BYTES = 512

/** The two voting steps of a round. */
export type VoteType = 'prevote' | 'precommit'

/** A vote before it is signed. */
export interface Vote {
  /** Chain ID from the genesis configuration: a vote of another chain never counts here. */
  chainId: string
  height: number
  round: number
  type: VoteType
  /** SHA-256 of the block header voted for, or `null` for a nil vote. */
  blockHash: Uint8Array | null
  /** Voter's clock in ms since the epoch; the block time is derived from precommits' (BFT time). 0 in prevotes. */
  timestamp: number
  /** The validator's raw 32-byte Ed25519 public key. */
  validator: Uint8Array
}

/** A vote with its Ed25519 signature over {@link voteSignBytes}. */
export interface SignedVote extends Vote {
  signature: Uint8Array
}

const TYPE_CODE: Record<VoteType, number> = { prevote: 1, precommit: 2 }
const DOMAIN_BYTES = new TextEncoder().encode(VOTE_DOMAIN + '\0')

function body(v: Vote): Record<string, unknown> {
  return {
    c: v.chainId,
    h: v.height,
    r: v.round,
    t: TYPE_CODE[v.type],
    b: v.blockHash,
    ts: v.timestamp,
    v: v.validator,
  }
}

/** The bytes a validator signs for `vote` (domain tag, then the canonical dag-cbor body). */
export function voteSignBytes(vote: Vote): Uint8Array {
  const encoded = dagCbor.encode(body(vote))
  const out = new Uint8Array(DOMAIN_BYTES.length + encoded.length)
  out.set(DOMAIN_BYTES, 0)
  out.set(encoded, DOMAIN_BYTES.length)
  return out
}

/** Encode a signed vote for the wire. */
export function encodeVote(vote: SignedVote): Uint8Array {
  return dagCbor.encode({ ...body(vote), s: vote.signature })
}

function fail(message: string): never {
  throw new ConsensusDecodeError(`decodeVote: ${message}`)
}

function isUint(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isBytes(x: unknown, length: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === length
}

/**
 * Decode a vote from the network. Checks shape, types, lengths and ranges, and that the bytes are
 * the canonical encoding (one vote, one byte string: gossip de-duplication and evidence rely on
 * it). Does not check the signature. Throws {@link ConsensusDecodeError}.
 */
export function decodeVote(bytes: Uint8Array): SignedVote {
  if (!(bytes instanceof Uint8Array)) fail('expected bytes')
  if (bytes.length > MAX_VOTE_BYTES) fail(`${bytes.length} bytes, limit ${MAX_VOTE_BYTES}`)
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (e) {
    fail(`not dag-cbor (${(e as Error).message})`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not a map')
  const m = raw as Record<string, unknown>
  const keys = Object.keys(m)
  if (keys.length !== 8) fail('wrong fields')
  const { c, h, r, t, b, ts, v, s } = m
  if (typeof c !== 'string' || c.length === 0 || c.length > 64) fail('bad chain ID')
  if (!isUint(h) || h < 1) fail('bad height')
  if (!isUint(r)) fail('bad round')
  if (t !== 1 && t !== 2) fail('bad type')
  if (b !== null && !isBytes(b, 32)) fail('bad block hash')
  if (!isUint(ts)) fail('bad timestamp')
  if (t === 1 && ts !== 0) fail('prevote with a timestamp')
  if (!isBytes(v, 32)) fail('bad validator key')
  if (!isBytes(s, 64)) fail('bad signature length')
  const vote: SignedVote = {
    chainId: c,
    height: h,
    round: r,
    type: t === 1 ? 'prevote' : 'precommit',
    blockHash: b,
    timestamp: ts,
    validator: v,
    signature: s,
  }
  const again = encodeVote(vote)
  if (again.length !== bytes.length || again.some((x, i) => x !== bytes[i])) fail('not canonical')
  return vote
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * Whether two votes are an equivocation: the same validator, chain, height, round and step, for
 * different blocks (nil counts as a block choice). Signatures are not checked here.
 */
export function isEquivocation(a: Vote, b: Vote): boolean {
  return (
    a.chainId === b.chainId &&
    a.height === b.height &&
    a.round === b.round &&
    a.type === b.type &&
    sameBytes(a.validator, b.validator) &&
    !sameBytes(a.blockHash, b.blockHash)
  )
}
