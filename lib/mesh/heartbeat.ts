/**
 * Signed heartbeats: the message every node publishes on {@link HEARTBEAT_TOPIC} every few seconds
 * so the others learn its coordinate, neighbours, capabilities and listen addresses.
 *
 * Pure core: no clock reads, no randomness, no I/O. The wire format, the signature domain and the
 * validation order are specified in docs/heartbeat.md; keep the two in step.
 */

import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { concat } from 'uint8arrays/concat'
import { equals } from 'uint8arrays/equals'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import type { Ed25519PrivateKey, Ed25519PublicKey } from '@libp2p/interface'
import type { Clock } from '../ports'
import {
  HEARTBEAT_COORDINATE_DIMENSIONS,
  HEARTBEAT_DOMAIN_PREFIX,
  HEARTBEAT_MAX_AGE_MS,
  HEARTBEAT_MAX_APP_VERSION_LENGTH,
  HEARTBEAT_MAX_CORES,
  HEARTBEAT_MAX_COORDINATE_COMPONENT,
  HEARTBEAT_MAX_COORDINATE_ERROR,
  HEARTBEAT_MAX_FUTURE_MS,
  HEARTBEAT_MAX_MEMORY_GIB,
  HEARTBEAT_MAX_MULTIADDR_LENGTH,
  HEARTBEAT_MAX_MULTIADDRS,
  HEARTBEAT_MAX_NEIGHBOURS,
  HEARTBEAT_MAX_PEER_ID_BYTES,
  HEARTBEAT_MAX_PEER_ID_LENGTH,
  HEARTBEAT_MAX_RTT_MS,
  HEARTBEAT_MAX_TRACKED_PEERS,
  HEARTBEAT_PEER_TTL_MS,
  HEARTBEAT_SEQ_PER_MS,
  HEARTBEAT_SIGNATURE_BYTES,
  HEARTBEAT_VERSION,
  MAX_HEARTBEAT_BYTES,
} from './constants'
import {
  BadHeartbeatSignatureError,
  HeartbeatKeyMismatchError,
  HeartbeatTooLargeError,
  InvalidMeshOptionError,
  MalformedHeartbeatError,
} from './errors'
import type { CapabilitySummary, Coordinate, NeighbourReport } from './types'

/** What a node says about itself in a heartbeat, before signing. The encoder adds the version. */
export interface HeartbeatBody {
  /** The sender's Ed25519 peer ID, canonical base58btc form (`12D3KooW…`). */
  peerId: string
  /**
   * Positive safe integer, strictly increasing per sender across restarts; produce it with
   * {@link HeartbeatSequencer}.
   */
  seq: number
  /** Sender's clock when the heartbeat was built, ms since the epoch (integer). */
  timestamp: number
  /** The sender's Vivaldi coordinate, or null before it has one. */
  coordinate: Coordinate | null
  /** Direct peers, at most {@link HEARTBEAT_MAX_NEIGHBOURS}, not the sender. */
  neighbours: NeighbourReport[]
  capabilities: CapabilitySummary
  /** App version, 1 to {@link HEARTBEAT_MAX_APP_VERSION_LENGTH} printable ASCII characters. */
  appVersion: string
  /** Listen multiaddrs receivers can dial, at most {@link HEARTBEAT_MAX_MULTIADDRS}. */
  addrs: string[]
}

/** A decoded heartbeat whose signature verified against the key in its peer ID. */
export interface Heartbeat extends HeartbeatBody {
  /** Wire version, always {@link HEARTBEAT_VERSION}. */
  version: typeof HEARTBEAT_VERSION
  /** The 64-byte Ed25519 signature over the domain prefix and the body bytes. */
  signature: Uint8Array
}

/** Why the validator dropped a heartbeat. */
export type DropReason =
  'oversize' | 'malformed' | 'signature' | 'replay' | 'stale' | 'future' | 'sender-mismatch'

/** Every {@link DropReason}, in the order the validator tests for them (signature last). */
export const HEARTBEAT_DROP_REASONS: readonly DropReason[] = [
  'oversize',
  'malformed',
  'sender-mismatch',
  'future',
  'stale',
  'replay',
  'signature',
]

/** Outcome of {@link HeartbeatValidator.check}. */
export type HeartbeatCheckResult =
  { ok: true; heartbeat: Heartbeat } | { ok: false; reason: DropReason }

/** Counters kept by {@link HeartbeatValidator}. */
export interface HeartbeatStats {
  accepted: number
  dropped: Record<DropReason, number>
}

/** Options of {@link HeartbeatValidator}. */
export interface HeartbeatValidatorInit {
  /** The receiver's clock; timestamps are judged and peers expire against it. */
  clock: Clock
  /**
   * Oldest accepted timestamp, ms behind the receiver's clock. Default
   * {@link HEARTBEAT_MAX_AGE_MS}.
   */
  maxAgeMs?: number
  /** Largest accepted sender clock lead, ms. Default {@link HEARTBEAT_MAX_FUTURE_MS}. */
  maxFutureMs?: number
  /**
   * A peer silent this long (ms, receiver's clock) loses its replay state. At least
   * `maxAgeMs + maxFutureMs`. Default {@link HEARTBEAT_PEER_TTL_MS}.
   */
  peerTtlMs?: number
  /**
   * Most peers tracked at once; the least recently heard is evicted. Default
   * {@link HEARTBEAT_MAX_TRACKED_PEERS}.
   */
  maxTrackedPeers?: number
}

const DOMAIN_PREFIX_BYTES = fromString(HEARTBEAT_DOMAIN_PREFIX, 'utf8')
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** Body as it travels: neighbours are `[multihash bytes, rtt]` tuples to fit 64 in the budget. */
interface WireBody {
  version: number
  peerId: string
  seq: number
  timestamp: number
  coordinate: Coordinate | null
  neighbours: Array<[Uint8Array, number | null]>
  capabilities: CapabilitySummary
  appVersion: string
  addrs: string[]
}

const BODY_KEYS = [
  'version',
  'peerId',
  'seq',
  'timestamp',
  'coordinate',
  'neighbours',
  'capabilities',
  'appVersion',
  'addrs',
] as const
const ENVELOPE_KEYS = ['body', 'sig'] as const
const COORDINATE_KEYS = ['vec', 'height', 'error', 'adjustment'] as const
const CAPABILITY_KEYS = ['cores', 'memoryGiB', 'platform'] as const

/** A body that passed every field check, with the key its signature must verify against. */
interface ParsedBody {
  body: Omit<Heartbeat, 'signature'>
  publicKey: Ed25519PublicKey
}

/** An envelope whose structure and body are valid; the signature is not checked yet. */
interface ParsedHeartbeat extends ParsedBody {
  bodyBytes: Uint8Array
  signature: Uint8Array
}

/**
 * Encode and sign a heartbeat.
 *
 * The body is checked against the same rules receivers apply, so a node never publishes a heartbeat
 * its peers drop. A few values are normalised first, because dag-cbor has no `undefined` and no
 * non-finite floats, and because the receivers' rules are strict: an `undefined` coordinate
 * becomes null; an `undefined` or non-finite `rttMs`, `cores` or `memoryGiB` becomes null
 * (unknown); `rttMs` is rounded to whole milliseconds and clamped to {@link HEARTBEAT_MAX_RTT_MS};
 * `-0` becomes `0`; repeated neighbours and addresses keep their first occurrence. The version
 * field is added here.
 *
 * @param body - what to announce; `body.peerId` must be the peer ID of `privateKey`
 * @param privateKey - the node's Ed25519 identity key
 * @returns the wire bytes: deterministic dag-cbor of `{ body: <body bytes>, sig }`
 * @throws {MalformedHeartbeatError} a field is out of range (the error names it)
 * @throws {HeartbeatKeyMismatchError} the key is not the Ed25519 key of `body.peerId`
 * @throws {HeartbeatTooLargeError} the encoding exceeds {@link MAX_HEARTBEAT_BYTES}; report fewer
 *   neighbours or addresses
 * @example
 * ```ts
 * const bytes = await encodeHeartbeat(
 *   { peerId, seq: sequencer.next(clock.now()), timestamp: clock.now(), ... },
 *   privateKey,
 * )
 * await pubsub.publish(HEARTBEAT_TOPIC, bytes)
 * ```
 */
export async function encodeHeartbeat(
  body: HeartbeatBody,
  privateKey: Ed25519PrivateKey,
): Promise<Uint8Array> {
  const wire = toWire(body)
  readBody(wire)
  if (!keyMatches(privateKey, wire.peerId)) throw new HeartbeatKeyMismatchError(wire.peerId)
  const bodyBytes = dagCbor.encode(wire)
  const sig = await privateKey.sign(concat([DOMAIN_PREFIX_BYTES, bodyBytes]))
  const bytes = dagCbor.encode({ body: bodyBytes, sig })
  if (bytes.byteLength > MAX_HEARTBEAT_BYTES) {
    throw new HeartbeatTooLargeError(bytes.byteLength, MAX_HEARTBEAT_BYTES)
  }
  return bytes
}

/**
 * Decode a heartbeat from the wire and verify its signature.
 *
 * Checks, in order: size (before any parsing), canonical dag-cbor structure, every field, the peer
 * ID (must be an Ed25519 peer ID, canonical string), then the signature against the key embedded in
 * that peer ID. Does not judge freshness or replay: that needs state and a clock, see
 * {@link HeartbeatValidator}.
 *
 * @param bytes - the gossipsub message data
 * @returns the verified heartbeat
 * @throws {HeartbeatTooLargeError} more than {@link MAX_HEARTBEAT_BYTES}
 * @throws {MalformedHeartbeatError} anything about the encoding or a field is wrong
 * @throws {BadHeartbeatSignatureError} the signature does not verify
 * Nothing else is ever thrown: unexpected failures inside the CBOR or peer ID parsers are reported
 * as {@link MalformedHeartbeatError}.
 */
export async function decodeHeartbeat(bytes: Uint8Array): Promise<Heartbeat> {
  try {
    const parsed = parseHeartbeat(bytes)
    await verifySignature(parsed)
    return { ...parsed.body, signature: parsed.signature }
  } catch (err) {
    throw asTypedError(err)
  }
}

/**
 * Produces heartbeat sequence numbers: `floor(clock ms) × HEARTBEAT_SEQ_PER_MS`, or the previous
 * value + 1 when that is not larger. Deriving the number from the clock means a restarted tab that
 * keeps its identity does not need to persist a counter to avoid reusing a sequence number, as long
 * as its clock did not go back by more than the time it was down. The counter part keeps numbers
 * strictly increasing within a process even if the clock stalls or steps back.
 *
 * Safe integers hold `ms × 1000` until the year 2255.
 *
 * @example
 * ```ts
 * const sequencer = new HeartbeatSequencer()
 * const seq = sequencer.next(clock.now())
 * ```
 */
export class HeartbeatSequencer {
  #last: number

  /**
   * @param last - last sequence number already used, to resume a persisted sequence (default 0)
   * @throws {InvalidMeshOptionError} `last` is not a non-negative safe integer
   */
  constructor(last = 0) {
    if (!Number.isSafeInteger(last) || last < 0) {
      throw new InvalidMeshOptionError(
        'HeartbeatSequencer.last',
        'must be a non-negative safe integer',
      )
    }
    this.#last = last
  }

  /** The last sequence number handed out (0 if none). */
  get last(): number {
    return this.#last
  }

  /**
   * The next sequence number, strictly larger than every earlier one from this instance.
   *
   * @param nowMs - the sender's clock, ms since the epoch; a non-finite or out-of-range value is
   *   ignored and the counter simply advances
   */
  next(nowMs: number): number {
    const fromClock =
      Number.isFinite(nowMs) && nowMs > 0 ? Math.floor(nowMs) * HEARTBEAT_SEQ_PER_MS : 0
    const seq = Math.max(Number.isSafeInteger(fromClock) ? fromClock : 0, this.#last + 1)
    this.#last = seq
    return seq
  }
}

/**
 * Decides whether a received heartbeat is accepted: decodes it, matches it against the gossipsub
 * author, judges its timestamp against the local clock, refuses replays, and verifies the
 * signature. Cheap checks run before the signature, and nothing changes the validator's state
 * until a heartbeat is accepted, so a rejected heartbeat (however high its sequence number) never
 * moves the replay window.
 *
 * Memory is bounded: a peer not heard for `peerTtlMs` is forgotten, and at most `maxTrackedPeers`
 * peers are tracked, evicting the least recently heard. Forgetting a peer after `peerTtlMs` is
 * safe because every heartbeat it could replay is by then older than `maxAgeMs`; capacity
 * eviction under a flood of fresh identities can let an evicted peer's heartbeats from the last
 * `maxAgeMs` through once more, which is harmless for heartbeats.
 *
 * @example
 * ```ts
 * const validator = new HeartbeatValidator({ clock: systemClock })
 * const result = await validator.check(message.data, message.from.toString())
 * if (result.ok) table.update(result.heartbeat)
 * ```
 */
export class HeartbeatValidator {
  readonly #clock: Clock
  readonly #maxAgeMs: number
  readonly #maxFutureMs: number
  readonly #peerTtlMs: number
  readonly #maxTrackedPeers: number
  /** Insertion order is kept equal to last-heard order (re-inserted on accept), oldest first. */
  readonly #peers = new Map<string, { seq: number; lastSeenMs: number }>()
  #accepted = 0
  readonly #dropped: Record<DropReason, number> = emptyDropCounts()

  /**
   * @throws {InvalidMeshOptionError} an option is out of range
   */
  constructor(init: HeartbeatValidatorInit) {
    if (typeof init?.clock?.now !== 'function') {
      throw new InvalidMeshOptionError('HeartbeatValidator.clock', 'must be a Clock')
    }
    this.#clock = init.clock
    this.#maxAgeMs = nonNegative('maxAgeMs', init.maxAgeMs ?? HEARTBEAT_MAX_AGE_MS)
    this.#maxFutureMs = nonNegative('maxFutureMs', init.maxFutureMs ?? HEARTBEAT_MAX_FUTURE_MS)
    this.#peerTtlMs = nonNegative('peerTtlMs', init.peerTtlMs ?? HEARTBEAT_PEER_TTL_MS)
    if (this.#peerTtlMs < this.#maxAgeMs + this.#maxFutureMs) {
      throw new InvalidMeshOptionError(
        'HeartbeatValidator.peerTtlMs',
        'must be at least maxAgeMs + maxFutureMs, or forgotten peers could be replayed',
      )
    }
    const maxTrackedPeers = init.maxTrackedPeers ?? HEARTBEAT_MAX_TRACKED_PEERS
    if (!Number.isSafeInteger(maxTrackedPeers) || maxTrackedPeers < 1) {
      throw new InvalidMeshOptionError(
        'HeartbeatValidator.maxTrackedPeers',
        'must be an integer ≥ 1',
      )
    }
    this.#maxTrackedPeers = maxTrackedPeers
  }

  /** A snapshot of the counters: heartbeats accepted, and dropped per reason. */
  get stats(): HeartbeatStats {
    return { accepted: this.#accepted, dropped: { ...this.#dropped } }
  }

  /** How many peers' replay state is currently held. */
  get trackedPeers(): number {
    return this.#peers.size
  }

  /** The highest accepted sequence number of a tracked peer, or undefined if it is not tracked. */
  lastSeq(peerId: string): number | undefined {
    return this.#peers.get(peerId)?.seq
  }

  /**
   * Judge one received heartbeat. Never throws: every failure is a drop reason, and anything
   * unexpected counts as `malformed`.
   *
   * @param bytes - the gossipsub message data
   * @param from - the gossipsub message author as a canonical peer ID string, when known; a
   *   heartbeat claiming another peer ID is dropped as `sender-mismatch`
   */
  async check(bytes: Uint8Array, from?: string): Promise<HeartbeatCheckResult> {
    try {
      return await this.#check(bytes, from)
    } catch (err) {
      return this.#drop(dropReasonOf(err))
    }
  }

  /**
   * Forget a peer's replay state, for example when it is banned or disconnected for good.
   *
   * @returns whether the peer was tracked
   */
  forget(peerId: string): boolean {
    return this.#peers.delete(peerId)
  }

  async #check(bytes: Uint8Array, from: string | undefined): Promise<HeartbeatCheckResult> {
    const now = this.#clock.now()
    this.#expire(now)
    const parsed = parseHeartbeat(bytes)
    const { body } = parsed
    // Written so that a NaN from a broken clock fails closed (drops) instead of accepting.
    if (!(body.timestamp <= now + this.#maxFutureMs)) return this.#drop('future')
    if (!(body.timestamp >= now - this.#maxAgeMs)) return this.#drop('stale')
    // Replay before sender-mismatch: a captured heartbeat re-published by a third party is, first
    // of all, a replay, and counting it as one is what tells an operator what is going on.
    if (this.#isReplay(body)) return this.#drop('replay')
    if (from !== undefined && from !== body.peerId) return this.#drop('sender-mismatch')
    await verifySignature(parsed)
    // Checked again: another check() for the same peer may have been accepted while this one
    // awaited the signature, and accepting both would let the lower sequence number through.
    if (this.#isReplay(body)) return this.#drop('replay')
    this.#remember(body.peerId, body.seq, now)
    this.#accepted++
    return { ok: true, heartbeat: { ...body, signature: parsed.signature } }
  }

  #isReplay(body: HeartbeatBody): boolean {
    const last = this.#peers.get(body.peerId)
    return last !== undefined && body.seq <= last.seq
  }

  #remember(peerId: string, seq: number, now: number): void {
    // Delete then set moves the peer to the end, keeping the map ordered by last heard.
    this.#peers.delete(peerId)
    while (this.#peers.size >= this.#maxTrackedPeers) {
      const oldest = this.#peers.keys().next()
      if (oldest.done === true) break
      this.#peers.delete(oldest.value)
    }
    this.#peers.set(peerId, { seq, lastSeenMs: now })
  }

  /** Drops peers silent for longer than the TTL; stops at the first fresh one (map is ordered). */
  #expire(now: number): void {
    for (const [peerId, entry] of this.#peers) {
      if (!(now - entry.lastSeenMs > this.#peerTtlMs)) break
      this.#peers.delete(peerId)
    }
  }

  #drop(reason: DropReason): HeartbeatCheckResult {
    this.#dropped[reason]++
    return { ok: false, reason }
  }
}

function emptyDropCounts(): Record<DropReason, number> {
  return {
    oversize: 0,
    malformed: 0,
    signature: 0,
    replay: 0,
    stale: 0,
    future: 0,
    'sender-mismatch': 0,
  }
}

function nonNegative(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidMeshOptionError(`HeartbeatValidator.${option}`, 'must be a finite number ≥ 0')
  }
  return value
}

function dropReasonOf(err: unknown): DropReason {
  if (err instanceof HeartbeatTooLargeError) return 'oversize'
  if (err instanceof BadHeartbeatSignatureError) return 'signature'
  return 'malformed'
}

function asTypedError(err: unknown): Error {
  if (
    err instanceof HeartbeatTooLargeError ||
    err instanceof MalformedHeartbeatError ||
    err instanceof BadHeartbeatSignatureError
  ) {
    return err
  }
  return new MalformedHeartbeatError('bytes', 'could not be parsed')
}

function keyMatches(privateKey: Ed25519PrivateKey, peerId: string): boolean {
  try {
    return privateKey.type === 'Ed25519' && peerIdFromPrivateKey(privateKey).toString() === peerId
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function parseHeartbeat(bytes: Uint8Array): ParsedHeartbeat {
  if (!(bytes instanceof Uint8Array)) throw new MalformedHeartbeatError('bytes', 'not a Uint8Array')
  // Size first: an oversize message must cost a comparison, not a decode.
  if (bytes.byteLength > MAX_HEARTBEAT_BYTES) {
    throw new HeartbeatTooLargeError(bytes.byteLength, MAX_HEARTBEAT_BYTES)
  }
  const envelope = decodeCanonical(bytes, 'bytes')
  if (!hasExactKeys(envelope, ENVELOPE_KEYS)) {
    throw new MalformedHeartbeatError('bytes', 'not a { body, sig } map')
  }
  const { body: bodyBytes, sig } = envelope
  if (!(bodyBytes instanceof Uint8Array)) throw new MalformedHeartbeatError('body', 'not bytes')
  if (!(sig instanceof Uint8Array) || sig.byteLength !== HEARTBEAT_SIGNATURE_BYTES) {
    throw new MalformedHeartbeatError('sig', `not ${HEARTBEAT_SIGNATURE_BYTES} bytes`)
  }
  const { body, publicKey } = readBody(decodeCanonical(bodyBytes, 'body'))
  // Copied: the decoder may hand out a view into the caller's buffer, which the caller may reuse.
  return { body, publicKey, bodyBytes, signature: sig.slice() }
}

/**
 * Decodes dag-cbor and insists the bytes are exactly what the encoder would produce for the value.
 * With one encoding per (body, signature), gossipsub's content-addressed message IDs deduplicate
 * reliably and nobody can re-encode a heartbeat into a "new" message.
 */
function decodeCanonical(bytes: Uint8Array, field: string): unknown {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch {
    throw new MalformedHeartbeatError(field, 'not dag-cbor')
  }
  let again: Uint8Array
  try {
    again = dagCbor.encode(value)
  } catch {
    throw new MalformedHeartbeatError(field, 'not dag-cbor')
  }
  if (!equals(again, bytes)) throw new MalformedHeartbeatError(field, 'not canonical dag-cbor')
  return value
}

async function verifySignature(parsed: ParsedHeartbeat): Promise<void> {
  let ok: boolean
  try {
    ok = await parsed.publicKey.verify(
      concat([DOMAIN_PREFIX_BYTES, parsed.bodyBytes]),
      parsed.signature,
    )
  } catch {
    ok = false
  }
  if (!ok) throw new BadHeartbeatSignatureError(parsed.body.peerId)
}

/**
 * Checks a wire body field by field and converts it to a {@link HeartbeatBody}. The single source
 * of the field rules: the decoder runs it on what it received, the encoder on what it will sign.
 */
function readBody(x: unknown): ParsedBody {
  if (!hasExactKeys(x, BODY_KEYS)) {
    throw new MalformedHeartbeatError('body', `not a map of exactly ${BODY_KEYS.join(', ')}`)
  }
  if (x.version !== HEARTBEAT_VERSION) {
    throw new MalformedHeartbeatError('body.version', `not ${HEARTBEAT_VERSION}`)
  }
  const sender = readPeerIdString(x.peerId, 'body.peerId')
  if (sender.type !== 'Ed25519') {
    throw new MalformedHeartbeatError('body.peerId', 'not an Ed25519 peer ID')
  }
  const peerId = sender.toString()
  if (!Number.isSafeInteger(x.seq) || (x.seq as number) < 1) {
    throw new MalformedHeartbeatError('body.seq', 'not a positive safe integer')
  }
  if (!Number.isSafeInteger(x.timestamp) || (x.timestamp as number) < 0) {
    throw new MalformedHeartbeatError('body.timestamp', 'not a non-negative safe integer')
  }
  if (x.coordinate !== null && !isValidCoordinateShape(x.coordinate)) {
    throw new MalformedHeartbeatError('body.coordinate', 'not null or a valid coordinate')
  }
  const neighbours = readNeighbours(x.neighbours, peerId)
  const capabilities = readCapabilities(x.capabilities)
  if (
    typeof x.appVersion !== 'string' ||
    x.appVersion.length < 1 ||
    x.appVersion.length > HEARTBEAT_MAX_APP_VERSION_LENGTH ||
    !PRINTABLE_ASCII.test(x.appVersion)
  ) {
    throw new MalformedHeartbeatError(
      'body.appVersion',
      `not 1 to ${HEARTBEAT_MAX_APP_VERSION_LENGTH} printable ASCII characters`,
    )
  }
  const addrs = readAddrs(x.addrs)
  return {
    body: {
      version: HEARTBEAT_VERSION,
      peerId,
      seq: x.seq as number,
      timestamp: x.timestamp as number,
      coordinate: x.coordinate === null ? null : copyCoordinate(x.coordinate),
      neighbours,
      capabilities,
      appVersion: x.appVersion,
      addrs,
    },
    publicKey: sender.publicKey,
  }
}

/**
 * Parses a peer ID string and requires the canonical form. `peerIdFromString` also accepts CID
 * encodings of the same key; without this check one sender would have several names, which would
 * split its replay state and dodge the sender-mismatch comparison.
 */
function readPeerIdString(x: unknown, field: string): ReturnType<typeof peerIdFromString> {
  // Bounded before parsing because base58 decoding is quadratic in the input length.
  if (typeof x !== 'string' || x.length === 0 || x.length > HEARTBEAT_MAX_PEER_ID_LENGTH) {
    throw new MalformedHeartbeatError(field, 'not a peer ID string')
  }
  let parsed: ReturnType<typeof peerIdFromString>
  try {
    parsed = peerIdFromString(x)
  } catch {
    throw new MalformedHeartbeatError(field, 'not a peer ID')
  }
  if (parsed.type === 'url' || parsed.toString() !== x) {
    throw new MalformedHeartbeatError(field, 'not a canonical key peer ID')
  }
  return parsed
}

/** Neighbour peer IDs travel as multihash bytes: 38 bytes instead of a 54-byte string, × 64. */
function readNeighbourPeerId(x: unknown, field: string): string {
  if (
    !(x instanceof Uint8Array) ||
    x.byteLength === 0 ||
    x.byteLength > HEARTBEAT_MAX_PEER_ID_BYTES
  ) {
    throw new MalformedHeartbeatError(field, 'not peer ID multihash bytes')
  }
  let parsed: ReturnType<typeof peerIdFromString>
  try {
    parsed = peerIdFromString(toString(x, 'base58btc'))
  } catch {
    throw new MalformedHeartbeatError(field, 'not a peer ID')
  }
  // The base58 text may be read back under another multibase; the bytes must round-trip exactly.
  if (parsed.type === 'url' || !equals(parsed.toMultihash().bytes, x)) {
    throw new MalformedHeartbeatError(field, 'not a canonical key peer ID')
  }
  return parsed.toString()
}

function readNeighbours(x: unknown, self: string): NeighbourReport[] {
  if (!Array.isArray(x) || x.length > HEARTBEAT_MAX_NEIGHBOURS) {
    throw new MalformedHeartbeatError(
      'body.neighbours',
      `not a list of at most ${HEARTBEAT_MAX_NEIGHBOURS}`,
    )
  }
  const seen = new Set<string>()
  return x.map((entry: unknown, i): NeighbourReport => {
    const field = `body.neighbours[${i}]`
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new MalformedHeartbeatError(field, 'not a [peerId, rttMs] pair')
    }
    const peerId = readNeighbourPeerId(entry[0], `${field}.peerId`)
    if (peerId === self) throw new MalformedHeartbeatError(`${field}.peerId`, 'the sender itself')
    if (seen.has(peerId)) throw new MalformedHeartbeatError(`${field}.peerId`, 'a duplicate')
    seen.add(peerId)
    const rttMs: unknown = entry[1]
    if (
      rttMs !== null &&
      (!Number.isSafeInteger(rttMs) ||
        (rttMs as number) < 0 ||
        (rttMs as number) > HEARTBEAT_MAX_RTT_MS)
    ) {
      throw new MalformedHeartbeatError(
        `${field}.rttMs`,
        `not null or an integer from 0 to ${HEARTBEAT_MAX_RTT_MS}`,
      )
    }
    return { peerId, rttMs: rttMs as number | null }
  })
}

function readCapabilities(x: unknown): CapabilitySummary {
  if (!hasExactKeys(x, CAPABILITY_KEYS)) {
    throw new MalformedHeartbeatError(
      'body.capabilities',
      'not a { cores, memoryGiB, platform } map',
    )
  }
  const { cores, memoryGiB, platform } = x
  if (
    cores !== null &&
    (!Number.isSafeInteger(cores) ||
      (cores as number) < 1 ||
      (cores as number) > HEARTBEAT_MAX_CORES)
  ) {
    throw new MalformedHeartbeatError(
      'body.capabilities.cores',
      `not null or an integer from 1 to ${HEARTBEAT_MAX_CORES}`,
    )
  }
  if (
    memoryGiB !== null &&
    (typeof memoryGiB !== 'number' ||
      !Number.isFinite(memoryGiB) ||
      memoryGiB <= 0 ||
      memoryGiB > HEARTBEAT_MAX_MEMORY_GIB)
  ) {
    throw new MalformedHeartbeatError(
      'body.capabilities.memoryGiB',
      `not null or a number in (0, ${HEARTBEAT_MAX_MEMORY_GIB}]`,
    )
  }
  if (platform !== 'browser' && platform !== 'node') {
    throw new MalformedHeartbeatError('body.capabilities.platform', "not 'browser' or 'node'")
  }
  return { cores: cores as number | null, memoryGiB: memoryGiB as number | null, platform }
}

function readAddrs(x: unknown): string[] {
  if (!Array.isArray(x) || x.length > HEARTBEAT_MAX_MULTIADDRS) {
    throw new MalformedHeartbeatError(
      'body.addrs',
      `not a list of at most ${HEARTBEAT_MAX_MULTIADDRS}`,
    )
  }
  const seen = new Set<string>()
  return x.map((addr: unknown, i) => {
    const field = `body.addrs[${i}]`
    if (
      typeof addr !== 'string' ||
      !addr.startsWith('/') ||
      addr.length > HEARTBEAT_MAX_MULTIADDR_LENGTH
    ) {
      throw new MalformedHeartbeatError(
        field,
        `not a multiaddr of at most ${HEARTBEAT_MAX_MULTIADDR_LENGTH} characters`,
      )
    }
    try {
      multiaddr(addr)
    } catch {
      throw new MalformedHeartbeatError(field, 'not a valid multiaddr')
    }
    if (seen.has(addr)) throw new MalformedHeartbeatError(field, 'a duplicate')
    seen.add(addr)
    return addr
  })
}

/**
 * Same rules as `isValidCoordinate` in vivaldi.ts (kept private here so the wire format does not
 * depend on the estimator module): 8 components, height and adjustment all finite with magnitude
 * ≤ 1e6 ms, height ≥ 0, error in [0, 1.5]. On the wire the map holds exactly these four keys.
 */
function isValidCoordinateShape(x: unknown): x is Coordinate {
  if (!hasExactKeys(x, COORDINATE_KEYS)) return false
  const { vec, height, error, adjustment } = x
  return (
    Array.isArray(vec) &&
    vec.length === HEARTBEAT_COORDINATE_DIMENSIONS &&
    vec.every(isBoundedComponent) &&
    isBoundedComponent(height) &&
    height >= 0 &&
    typeof error === 'number' &&
    error >= 0 &&
    error <= HEARTBEAT_MAX_COORDINATE_ERROR &&
    isBoundedComponent(adjustment)
  )
}

function isBoundedComponent(v: unknown): v is number {
  // NaN fails the comparison and ±Infinity exceeds the bound, so no separate finiteness test.
  return typeof v === 'number' && Math.abs(v) <= HEARTBEAT_MAX_COORDINATE_COMPONENT
}

function copyCoordinate(c: Coordinate): Coordinate {
  return { vec: [...c.vec], height: c.height, error: c.error, adjustment: c.adjustment }
}

/**
 * A plain map (not an array, bytes or CID) with exactly the given keys. Own keys only: dag-cbor
 * can carry a `__proto__` key, which must count as an extra key and not as inherited structure.
 */
function hasExactKeys<K extends string>(x: unknown, keys: readonly K[]): x is Record<K, unknown> {
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) {
    return false
  }
  const own = Object.keys(x)
  return own.length === keys.length && keys.every((k) => Object.hasOwn(x, k))
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * Builds the wire body from a caller's body, normalising what dag-cbor cannot carry. Defensive
 * about shape (a JavaScript caller can pass anything): whatever it cannot normalise it passes
 * through unchanged for {@link readBody} to reject with a precise field name.
 */
function toWire(body: HeartbeatBody): WireBody {
  if (typeof body !== 'object' || body === null) {
    throw new MalformedHeartbeatError('body', 'not an object')
  }
  const b = body as unknown as Record<string, unknown>
  return {
    version: HEARTBEAT_VERSION,
    peerId: b.peerId as string,
    seq: b.seq as number,
    timestamp: b.timestamp as number,
    coordinate: (b.coordinate === undefined
      ? null
      : normaliseCoordinate(b.coordinate)) as Coordinate | null,
    neighbours: (Array.isArray(b.neighbours)
      ? dedupe(b.neighbours, neighbourKey).map((n: unknown, i) => normaliseNeighbour(n, i))
      : b.neighbours) as WireBody['neighbours'],
    capabilities: normaliseCapabilities(b.capabilities) as CapabilitySummary,
    appVersion: b.appVersion as string,
    addrs: (Array.isArray(b.addrs) ? dedupe(b.addrs, (a) => a) : b.addrs) as string[],
  }
}

/**
 * Keeps the first entry per key. Duplicates are ordinary on the sending side (two connections to
 * one peer after a simultaneous dial), and refusing them would silence the heartbeat.
 */
function dedupe(items: readonly unknown[], key: (item: unknown) => unknown): unknown[] {
  const seen = new Set<unknown>()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function neighbourKey(n: unknown): unknown {
  if (typeof n !== 'object' || n === null) return n
  const { peerId } = n as Record<string, unknown>
  return typeof peerId === 'string' ? peerId : n
}

function normaliseCoordinate(c: unknown): unknown {
  if (typeof c !== 'object' || c === null) return c
  const { vec, height, error, adjustment } = c as Record<string, unknown>
  return {
    vec: Array.isArray(vec) ? vec.map(noNegativeZero) : vec,
    height: noNegativeZero(height),
    error: noNegativeZero(error),
    adjustment: noNegativeZero(adjustment),
  }
}

function normaliseNeighbour(n: unknown, i: number): unknown {
  if (typeof n !== 'object' || n === null) return n
  const { peerId, rttMs } = n as Record<string, unknown>
  const parsed = readPeerIdString(peerId, `body.neighbours[${i}].peerId`)
  return [parsed.toMultihash().bytes, normaliseRtt(rttMs)]
}

function normaliseRtt(rttMs: unknown): unknown {
  const known = unknownToNull(rttMs)
  if (typeof known !== 'number' || known < 0) return known
  return noNegativeZero(Math.min(Math.round(known), HEARTBEAT_MAX_RTT_MS))
}

function normaliseCapabilities(c: unknown): unknown {
  if (typeof c !== 'object' || c === null) return c
  const { cores, memoryGiB, platform } = c as Record<string, unknown>
  return {
    cores: noNegativeZero(unknownToNull(cores)),
    memoryGiB: noNegativeZero(unknownToNull(memoryGiB)),
    platform,
  }
}

/** `undefined` and non-finite numbers mean "not measured" for nullable measurements. */
function unknownToNull(x: unknown): unknown {
  if (x === undefined) return null
  if (typeof x === 'number' && !Number.isFinite(x)) return null
  return x
}

/** dag-cbor writes -0 as the integer 0, so decode(encode(x)) would differ from x without this. */
function noNegativeZero(x: unknown): unknown {
  return typeof x === 'number' && Object.is(x, -0) ? 0 : x
}
