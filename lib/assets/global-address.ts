/**
 * Global addresses (DESIGN.md §5, lib/assets/README.md): where an asset lives in the mesh.
 *
 * ```text
 * offset  size  field
 *      0     8  network_prefix   PUBLIC_MESH_PREFIX = ASCII "hypermsh" on the public mesh
 *      8     8  node_id          SHA-256(owner peer ID multihash bytes)[0..8]
 *     16    16  asset uuid       UUID v4 layout (the AssetId without its type byte)
 *     32     2  service_port     big-endian
 *                                = 34 bytes
 * ```
 *
 * Text form: 17 groups of 4 lower-case hex digits joined by `:`, fixed width and never compressed,
 * so each address has exactly one text. URI form `hypermesh://<peer ID>/<uuid>:<port>`, which
 * carries the whole peer ID (the 8-byte node_id cannot be turned back into one).
 *
 * The address carries the UUID but not the asset's type: it names an asset, and the registry (the
 * ledger registration, or the owning node) knows what it is. Peer IDs are the canonical base58btc
 * text of an Ed25519 identity multihash (`12D3KooW…`), the only kind the mesh and the ledger use.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { base58btc } from 'multiformats/bases/base58'
import {
  ASSET_UUID_BYTES,
  AssetArgumentError,
  AssetError,
  type AssetId,
  checkAssetUuid,
  formatAssetUuid,
  parseAssetId,
  parseAssetUuid,
} from './asset-id'

// ---------------------------------------------------------------------------------------------
// Errors

/** Why a peer ID was refused (see {@link InvalidPeerIdError}). */
export type InvalidPeerIdReason = 'syntax' | 'key-type'

/**
 * Text that is not a peer ID this mesh uses: not canonical base58btc of a multihash (`syntax`,
 * including the CID spelling `bafz…`), or a peer ID of another key type (`key-type`: RSA `Qm…`
 * and secp256k1 `16Uiu2…` IDs have no Ed25519 key to sign or verify with).
 */
export class InvalidPeerIdError extends AssetError {
  override readonly name = 'InvalidPeerIdError'
  readonly code = 'ERR_INVALID_PEER_ID'
  override readonly reason: InvalidPeerIdReason

  /**
   * @param reason - which rule failed
   * @param message - a sentence for people
   * @param options - the underlying error, if any
   */
  constructor(reason: InvalidPeerIdReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Why a global address was refused (see {@link InvalidGlobalAddressError}). */
export type InvalidGlobalAddressReason = 'length' | 'syntax' | 'uuid'

/**
 * Bytes or text that are not a global address: not 34 bytes (`length`), text other than 17
 * groups of 4 lower-case hex digits (`syntax`), or an asset part that is not a UUID v4 (`uuid`).
 */
export class InvalidGlobalAddressError extends AssetError {
  override readonly name = 'InvalidGlobalAddressError'
  readonly code = 'ERR_INVALID_GLOBAL_ADDRESS'
  override readonly reason: InvalidGlobalAddressReason

  /**
   * @param reason - which rule failed
   * @param message - a sentence for people
   * @param options - the underlying error, if any
   */
  constructor(reason: InvalidGlobalAddressReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Why a hypermesh URI was refused (see {@link InvalidHypermeshUriError}). */
export type InvalidHypermeshUriReason = 'syntax' | 'peer-id' | 'uuid' | 'port'

/**
 * Text that is not a canonical `hypermesh://<peer ID>/<uuid>:<port>` URI: wrong scheme or shape
 * (`syntax`), a peer ID that is not an Ed25519 one (`peer-id`), a UUID not in canonical v4 form
 * (`uuid`), a port that is not a decimal 0–65535 without leading zeros (`port`).
 */
export class InvalidHypermeshUriError extends AssetError {
  override readonly name = 'InvalidHypermeshUriError'
  readonly code = 'ERR_INVALID_HYPERMESH_URI'
  override readonly reason: InvalidHypermeshUriReason

  /**
   * @param reason - which rule failed
   * @param message - a sentence for people
   * @param options - the underlying error, if any
   */
  constructor(reason: InvalidHypermeshUriReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

// ---------------------------------------------------------------------------------------------
// Constants

/** Length of the network prefix. */
export const NETWORK_PREFIX_BYTES = 8

/** Length of a node ID. */
export const NODE_ID_BYTES = 8

/** Length of the binary form of a {@link GlobalAddress}. */
export const GLOBAL_ADDRESS_BYTES = NETWORK_PREFIX_BYTES + NODE_ID_BYTES + ASSET_UUID_BYTES + 2

/** Largest service port. */
export const MAX_SERVICE_PORT = 0xffff

/**
 * Network prefix of the public mesh: the ASCII bytes of `hypermsh` (text form starts
 * `6879:7065:726d:7368:`). Fixed rather than derived from the chain ID so that addresses survive
 * a new genesis and can be recognised at a glance. Other meshes (dev chains, tests) use
 * {@link networkPrefixOf}. Do not modify the array; functions here copy it.
 */
export const PUBLIC_MESH_PREFIX: Uint8Array = new TextEncoder().encode('hypermsh')

/** URI scheme of {@link formatHypermeshUri}. */
export const HYPERMESH_URI_SCHEME = 'hypermesh'

/** Domain tag of {@link networkPrefixOf}. */
const NETWORK_PREFIX_DOMAIN = new TextEncoder().encode('hypermesh/network-prefix/v1\0')

/** The six bytes in front of the key in an Ed25519 peer ID's multihash (identity, protobuf key). */
const ED25519_MULTIHASH_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)
const ED25519_MULTIHASH_BYTES = ED25519_MULTIHASH_PREFIX.length + 32
// An Ed25519 peer ID is 52 or 53 base58 characters. Bounded before decoding because base58
// decoding is quadratic in the input length.
const MAX_PEER_ID_CHARS = 64
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/

// ---------------------------------------------------------------------------------------------
// Peer IDs

/** A parsed peer ID. */
export interface PeerIdParts {
  /** Canonical text (`12D3KooW…`). */
  readonly peerId: string
  /** The peer's raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** The 38 multihash bytes the text encodes. */
  readonly multihash: Uint8Array
}

/**
 * Parse a peer ID: canonical base58btc text of an Ed25519 identity multihash. Done over
 * `multiformats` rather than `@libp2p/peer-id` so that pages (the explorer's search box) do not
 * pull libp2p's crypto in; the tests hold it to `@libp2p/peer-id`'s answers.
 *
 * @throws {@link InvalidPeerIdError} (`syntax`, `key-type`)
 * @example
 * ```ts
 * parsePeerId('12D3KooW…').publicKey // Uint8Array(32)
 * ```
 */
export function parsePeerId(text: string): PeerIdParts {
  if (typeof text !== 'string' || text.length > MAX_PEER_ID_CHARS || !BASE58.test(text)) {
    throw new InvalidPeerIdError('syntax', 'A peer ID is base58 text such as 12D3KooW….')
  }
  let bytes: Uint8Array
  try {
    bytes = base58btc.baseDecode(text)
  } catch (e) {
    throw new InvalidPeerIdError('syntax', 'A peer ID is base58 text such as 12D3KooW….', {
      cause: e,
    })
  }
  // Leading '1's stand for zero bytes: the text is canonical only if it re-encodes to itself.
  if (base58btc.baseEncode(bytes) !== text) {
    throw new InvalidPeerIdError('syntax', 'The peer ID is not in its canonical spelling.')
  }
  if (
    bytes.length !== ED25519_MULTIHASH_BYTES ||
    !ED25519_MULTIHASH_PREFIX.every((b, i) => bytes[i] === b)
  ) {
    throw new InvalidPeerIdError(
      'key-type',
      'Only Ed25519 peer IDs (12D3KooW…) name nodes of this mesh.',
    )
  }
  return Object.freeze({
    peerId: text,
    publicKey: bytes.slice(ED25519_MULTIHASH_PREFIX.length),
    multihash: bytes,
  })
}

/**
 * The peer ID of a raw Ed25519 public key (the same text libp2p's `peerIdFromPublicKey` gives).
 *
 * @throws {@link AssetArgumentError} when `publicKey` is not 32 bytes
 */
export function peerIdOfPublicKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new AssetArgumentError('peerIdOfPublicKey.publicKey', 'must be 32 bytes')
  }
  const bytes = new Uint8Array(ED25519_MULTIHASH_BYTES)
  bytes.set(ED25519_MULTIHASH_PREFIX, 0)
  bytes.set(publicKey, ED25519_MULTIHASH_PREFIX.length)
  return base58btc.baseEncode(bytes)
}

/**
 * The 8-byte node ID of a peer: the first 8 bytes of SHA-256 over the peer ID's multihash bytes.
 * That hash is the peer's key in libp2p's Kademlia DHT (go-libp2p-kbucket `ConvertPeerID`, js
 * kad-dht `convertPeerId`), so the node ID is a prefix of the peer's DHT position; hashing also
 * spreads IDs evenly although every Ed25519 multihash starts with the same six bytes, and would
 * work unchanged for any other key type. 64 bits identify, they do not authenticate: two peers
 * share a node ID with probability ~n²/2^65, and every access is checked against the full owner
 * key in the capability token.
 *
 * @throws {@link InvalidPeerIdError} when `peerId` is not an Ed25519 peer ID
 */
export function nodeIdOf(peerId: string): Uint8Array {
  return nodeIdOfMultihash(parsePeerId(peerId).multihash)
}

function nodeIdOfMultihash(multihash: Uint8Array): Uint8Array {
  return sha256(multihash).slice(0, NODE_ID_BYTES)
}

/**
 * The network prefix of a mesh other than the public one: the first 8 bytes of
 * SHA-256("hypermesh/network-prefix/v1" ‖ 0x00 ‖ UTF-8 name), e.g. of a dev chain's ID, so its
 * addresses never collide with the public mesh's.
 *
 * @throws {@link AssetArgumentError} when `name` is empty or longer than 64 characters
 */
export function networkPrefixOf(name: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
    throw new AssetArgumentError('networkPrefixOf.name', 'must be 1–64 characters')
  }
  const text = new TextEncoder().encode(name)
  const input = new Uint8Array(NETWORK_PREFIX_DOMAIN.length + text.length)
  input.set(NETWORK_PREFIX_DOMAIN, 0)
  input.set(text, NETWORK_PREFIX_DOMAIN.length)
  return sha256(input).slice(0, NETWORK_PREFIX_BYTES)
}

// ---------------------------------------------------------------------------------------------
// GlobalAddress

/**
 * Where an asset lives: mesh, owning node, asset UUID, service port. Values built by this module
 * are frozen and hold private copies of their arrays.
 */
export interface GlobalAddress {
  /** 8 bytes: which mesh ({@link PUBLIC_MESH_PREFIX} on the public one). */
  readonly prefix: Uint8Array
  /** 8 bytes: {@link nodeIdOf} the owner's peer ID. */
  readonly nodeId: Uint8Array
  /** 16 bytes: the asset's UUID (v4 layout). */
  readonly uuid: Uint8Array
  /** 0–65535: which service of the owning node answers for the asset. */
  readonly port: number
}

function isPort(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= MAX_SERVICE_PORT
}

function freezeAddress(
  prefix: Uint8Array,
  nodeId: Uint8Array,
  uuid: Uint8Array,
  port: number,
): GlobalAddress {
  return Object.freeze({ prefix, nodeId, uuid, port })
}

function uuidArgument(asset: AssetId | Uint8Array, where: string): Uint8Array {
  const uuid = asset instanceof Uint8Array ? asset : (asset as AssetId | null)?.uuid
  try {
    checkAssetUuid(uuid as Uint8Array)
  } catch {
    throw new AssetArgumentError(where, 'must be an AssetId or a 16-byte UUID v4')
  }
  return Uint8Array.from(uuid as Uint8Array)
}

/**
 * The address of an asset owned by `peerId`.
 *
 * @param peerId - the owner's peer ID
 * @param asset - the asset (its UUID is used; the type is not part of the address)
 * @param port - service port, 0–65535
 * @param prefix - network prefix, default {@link PUBLIC_MESH_PREFIX}
 * @throws {@link InvalidPeerIdError} for a peer ID that is not an Ed25519 one
 * @throws {@link AssetArgumentError} for a bad asset, port or prefix
 * @example
 * ```ts
 * formatGlobalAddress(globalAddressOf(peerId, memoryId, 1)) // '6879:7065:726d:7368:…:0001'
 * ```
 */
export function globalAddressOf(
  peerId: string,
  asset: AssetId | Uint8Array,
  port: number,
  prefix: Uint8Array = PUBLIC_MESH_PREFIX,
): GlobalAddress {
  const nodeId = nodeIdOf(peerId)
  const uuid = uuidArgument(asset, 'globalAddressOf.asset')
  if (!isPort(port)) throw new AssetArgumentError('globalAddressOf.port', 'must be 0–65535')
  if (!(prefix instanceof Uint8Array) || prefix.length !== NETWORK_PREFIX_BYTES) {
    throw new AssetArgumentError('globalAddressOf.prefix', 'must be 8 bytes')
  }
  return freezeAddress(Uint8Array.from(prefix), nodeId, uuid, port)
}

/**
 * The 34-byte binary form (layout in the module comment).
 *
 * @throws {@link AssetArgumentError} when `address` has wrong lengths, a bad UUID or port
 */
export function encodeGlobalAddress(address: GlobalAddress): Uint8Array {
  const where = 'encodeGlobalAddress.address'
  if (typeof address !== 'object' || address === null) {
    throw new AssetArgumentError(where, 'must be a GlobalAddress')
  }
  const { prefix, nodeId, port } = address
  if (!(prefix instanceof Uint8Array) || prefix.length !== NETWORK_PREFIX_BYTES) {
    throw new AssetArgumentError(`${where}.prefix`, 'must be 8 bytes')
  }
  if (!(nodeId instanceof Uint8Array) || nodeId.length !== NODE_ID_BYTES) {
    throw new AssetArgumentError(`${where}.nodeId`, 'must be 8 bytes')
  }
  const uuid = uuidArgument(address.uuid, `${where}.uuid`)
  if (!isPort(port)) throw new AssetArgumentError(`${where}.port`, 'must be 0–65535')
  const out = new Uint8Array(GLOBAL_ADDRESS_BYTES)
  out.set(prefix, 0)
  out.set(nodeId, NETWORK_PREFIX_BYTES)
  out.set(uuid, NETWORK_PREFIX_BYTES + NODE_ID_BYTES)
  out[32] = port >> 8
  out[33] = port & 0xff
  return out
}

/**
 * Read the 34-byte binary form. Any prefix and node ID are accepted; the UUID must be in v4
 * layout (the same rule as {@link decodeAssetId}), so each address has one encoding.
 *
 * @throws {@link InvalidGlobalAddressError} (`length`, `uuid`)
 */
export function decodeGlobalAddress(bytes: Uint8Array): GlobalAddress {
  if (!(bytes instanceof Uint8Array) || bytes.length !== GLOBAL_ADDRESS_BYTES) {
    throw new InvalidGlobalAddressError(
      'length',
      `A global address is ${GLOBAL_ADDRESS_BYTES} bytes.`,
    )
  }
  const uuid = bytes.slice(16, 32)
  try {
    checkAssetUuid(uuid)
  } catch (e) {
    throw new InvalidGlobalAddressError('uuid', 'The asset part of the address is not a UUID v4.', {
      cause: e,
    })
  }
  return freezeAddress(bytes.slice(0, 8), bytes.slice(8, 16), uuid, (bytes[32]! << 8) | bytes[33]!)
}

/** Whether two addresses are the same (byte for byte). */
export function globalAddressEquals(a: GlobalAddress, b: GlobalAddress): boolean {
  return (
    a.port === b.port &&
    sameBytes(a.prefix, b.prefix) &&
    sameBytes(a.nodeId, b.nodeId) &&
    sameBytes(a.uuid, b.uuid)
  )
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const HEX = '0123456789abcdef'
const ADDRESS_TEXT = /^[0-9a-f]{4}(?::[0-9a-f]{4}){16}$/

/**
 * The IPv6-like text form: 17 groups of 4 lower-case hex digits joined by `:` (84 characters).
 * Fixed width and no `::` compression, unlike RFC 5952: one text per address, sortable, and the
 * fields sit at fixed columns (prefix = groups 1–4, node = 5–8, asset = 9–16, port = 17).
 *
 * @throws {@link AssetArgumentError} when `address` is not valid
 * @example
 * ```ts
 * formatGlobalAddress(a) // '6879:7065:726d:7368:1a2b:…:4c5d:0001'
 * ```
 */
export function formatGlobalAddress(address: GlobalAddress): string {
  const bytes = encodeGlobalAddress(address)
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % 2 === 0) out += ':'
    out += HEX[bytes[i]! >> 4]! + HEX[bytes[i]! & 15]!
  }
  return out
}

/**
 * Parse the text form. Only what {@link formatGlobalAddress} writes is accepted: upper case,
 * short groups, `::`, spaces or an IPv6 zone are refused.
 *
 * @throws {@link InvalidGlobalAddressError} (`syntax`, `uuid`)
 */
export function parseGlobalAddress(text: string): GlobalAddress {
  if (typeof text !== 'string' || text.length !== 84 || !ADDRESS_TEXT.test(text)) {
    throw new InvalidGlobalAddressError(
      'syntax',
      'A global address is 17 groups of 4 lower-case hex digits separated by ":".',
    )
  }
  const hex = text.replaceAll(':', '')
  const bytes = new Uint8Array(GLOBAL_ADDRESS_BYTES)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return decodeGlobalAddress(bytes)
}

// ---------------------------------------------------------------------------------------------
// URIs

/** The parts of a `hypermesh://` URI, and the address they give on a mesh. */
export interface HypermeshUri {
  /** The owner's canonical peer ID. */
  readonly peerId: string
  /** The asset's UUID (v4 layout). */
  readonly assetUuid: Uint8Array
  /** Service port. */
  readonly port: number
  /** The derived address, with the network prefix given to {@link parseHypermeshUri}. */
  readonly address: GlobalAddress
}

// Scheme (12) + peer ID (≤ 64) + '/' + uuid (36) + ':' + port (≤ 5).
const MAX_URI_CHARS = 12 + MAX_PEER_ID_CHARS + 1 + 36 + 1 + 5
const URI_SHAPE = /^hypermesh:\/\/([^/]+)\/([^:]+):([^:]+)$/
const PORT_TEXT = /^(?:0|[1-9][0-9]{0,4})$/

/**
 * The URI of an asset: `hypermesh://<peer ID>/<uuid>:<port>`, all parts canonical (lower-case
 * UUID, decimal port without leading zeros).
 *
 * @throws {@link InvalidPeerIdError} for a peer ID that is not an Ed25519 one
 * @throws {@link AssetArgumentError} for a bad UUID or port
 * @example
 * ```ts
 * formatHypermeshUri({ peerId, assetUuid: id.uuid, port: 1 })
 * // 'hypermesh://12D3KooW…/0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f:1'
 * ```
 */
export function formatHypermeshUri(uri: {
  peerId: string
  assetUuid: Uint8Array
  port: number
}): string {
  if (typeof uri !== 'object' || uri === null) {
    throw new AssetArgumentError('formatHypermeshUri.uri', 'must be an object')
  }
  const { peerId } = parsePeerId(uri.peerId)
  const uuid = uuidArgument(uri.assetUuid, 'formatHypermeshUri.uri.assetUuid')
  if (!isPort(uri.port)) {
    throw new AssetArgumentError('formatHypermeshUri.uri.port', 'must be 0–65535')
  }
  return `${HYPERMESH_URI_SCHEME}://${peerId}/${formatAssetUuid(uuid)}:${uri.port}`
}

/**
 * Parse a `hypermesh://` URI. The URI does not carry the network prefix: it names an asset on
 * the mesh the reader is on, `prefix` (default {@link PUBLIC_MESH_PREFIX}).
 *
 * @throws {@link InvalidHypermeshUriError} (`syntax`, `peer-id`, `uuid`, `port`)
 * @throws {@link AssetArgumentError} when `prefix` is not 8 bytes
 */
export function parseHypermeshUri(
  text: string,
  prefix: Uint8Array = PUBLIC_MESH_PREFIX,
): HypermeshUri {
  if (!(prefix instanceof Uint8Array) || prefix.length !== NETWORK_PREFIX_BYTES) {
    throw new AssetArgumentError('parseHypermeshUri.prefix', 'must be 8 bytes')
  }
  const shape =
    typeof text === 'string' && text.length <= MAX_URI_CHARS ? URI_SHAPE.exec(text) : null
  if (shape === null) {
    throw new InvalidHypermeshUriError(
      'syntax',
      'A hypermesh URI is written hypermesh://<peer ID>/<asset uuid>:<port>.',
    )
  }
  const [, peerText, uuidText, portText] = shape as unknown as [string, string, string, string]
  let peer: PeerIdParts
  try {
    peer = parsePeerId(peerText)
  } catch (e) {
    throw new InvalidHypermeshUriError('peer-id', 'The URI does not name an Ed25519 peer ID.', {
      cause: e,
    })
  }
  let assetUuid: Uint8Array
  try {
    assetUuid = parseAssetUuid(uuidText)
  } catch (e) {
    throw new InvalidHypermeshUriError('uuid', 'The asset part of the URI is not a UUID v4.', {
      cause: e,
    })
  }
  const port = PORT_TEXT.test(portText) ? Number(portText) : -1
  if (!isPort(port)) {
    throw new InvalidHypermeshUriError('port', 'The port of the URI is not a number 0–65535.')
  }
  const address = freezeAddress(
    Uint8Array.from(prefix),
    nodeIdOfMultihash(peer.multihash),
    Uint8Array.from(assetUuid),
    port,
  )
  return Object.freeze({ peerId: peer.peerId, assetUuid, port, address })
}

// ---------------------------------------------------------------------------------------------
// Search box

/** What {@link parseAssetQuery} recognised. */
export type AssetQuery =
  | { readonly kind: 'asset-id'; readonly assetId: AssetId }
  | { readonly kind: 'asset-uuid'; readonly uuid: Uint8Array }
  | { readonly kind: 'global-address'; readonly address: GlobalAddress }
  | { readonly kind: 'uri'; readonly uri: HypermeshUri }
  | { readonly kind: 'peer-id'; readonly peerId: string; readonly nodeId: Uint8Array }

// Longer than any form recognised: not worth trying the parsers.
const MAX_QUERY_CHARS = 256

/**
 * Recognise what someone typed in a search box: an asset ID (`memory:<uuid>`), a bare asset UUID,
 * a global address, a `hypermesh://` URI or a peer ID. Surrounding white space is ignored; the
 * rest must be in canonical form (what the formatters write), as for every parser here. Never
 * throws.
 *
 * @param text - the query
 * @param prefix - network prefix for URIs, default {@link PUBLIC_MESH_PREFIX}
 * @returns the tagged interpretation, or `null` when the text is none of these
 * @example
 * ```ts
 * parseAssetQuery(' 12D3KooW… ')?.kind // 'peer-id'
 * ```
 */
export function parseAssetQuery(
  text: string,
  prefix: Uint8Array = PUBLIC_MESH_PREFIX,
): AssetQuery | null {
  if (typeof text !== 'string' || text.length > MAX_QUERY_CHARS) return null
  const q = text.trim()
  try {
    if (q.startsWith(`${HYPERMESH_URI_SCHEME}://`)) {
      return Object.freeze({ kind: 'uri', uri: parseHypermeshUri(q, prefix) })
    }
    if (ADDRESS_TEXT.test(q)) {
      return Object.freeze({ kind: 'global-address', address: parseGlobalAddress(q) })
    }
    if (q.length === 36) return Object.freeze({ kind: 'asset-uuid', uuid: parseAssetUuid(q) })
    if (q.includes(':')) return Object.freeze({ kind: 'asset-id', assetId: parseAssetId(q) })
    const peer = parsePeerId(q)
    return Object.freeze({
      kind: 'peer-id',
      peerId: peer.peerId,
      nodeId: nodeIdOfMultihash(peer.multihash),
    })
  } catch (e) {
    if (e instanceof AssetError) return null
    throw e
  }
}
