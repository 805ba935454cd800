/**
 * Capability tokens (DESIGN.md §5, lib/assets/README.md): the owner of an asset signs a grant of
 * a byte range of the asset at a {@link GlobalAddress}, with some rights, for a time window, to
 * one grantee (an Ed25519 key). The owning node checks the token before any read or write.
 *
 * A grantee may hand a narrower grant on ({@link attenuateCapability}): the token becomes a chain
 * of at most {@link MAX_CAPABILITY_CHAIN} links, the root signed by the owner and each further link
 * signed by the grantee of the link before it, naming that link by hash. A link can only narrow:
 * same address, a sub-range, a subset of the rights, a window inside its parent's.
 *
 * Wire form: a dag-cbor array of links, each a map with short keys, decoded strictly (exact key
 * sets, types, lengths, canonical bytes only):
 *
 * ```text
 * v  version (1)           i  issuer key (32 B)      g  grantee key (32 B)
 * a  GlobalAddress (34 B)  o  offset (uint)          l  length (uint ≥ 1)
 * r  rights (1 read, 2 write, 3 both)                nb not before (ms, uint)
 * x  expiry (ms, uint, > nb)                          n  nonce (16 B)
 * p  SHA-256 of the parent link's encoding (32 B; absent on the root)
 * s  Ed25519 signature over "hypermesh/capability/v1" ‖ 0x00 ‖ dag-cbor(link without s)
 * ```
 *
 * A token is valid at `now` when `nb ≤ now < x` (the expiry instant is already expired).
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import type { SignatureVerifier } from '../ports'
import { AssetArgumentError, AssetError } from './asset-id'
import {
  GLOBAL_ADDRESS_BYTES,
  type GlobalAddress,
  InvalidGlobalAddressError,
  decodeGlobalAddress,
  encodeGlobalAddress,
  globalAddressEquals,
} from './global-address'

// ---------------------------------------------------------------------------------------------
// Constants

/** Domain separation tag of link signatures: signed bytes are `tag ‖ 0x00 ‖ dag-cbor(link)`. */
export const CAPABILITY_DOMAIN = 'hypermesh/capability/v1'

/** The only link version this code reads and writes. */
export const CAPABILITY_VERSION = 1

/**
 * Most links in a token (the owner's root plus three attenuations). Bounds the work of a check
 * (one signature per link) and the size of a token.
 */
export const MAX_CAPABILITY_CHAIN = 4

/** Largest encoded token a decoder looks at (a four-link token is about 1.2 KB). */
export const MAX_CAPABILITY_BYTES = 2048

/** Length of a link's nonce. */
export const CAPABILITY_NONCE_BYTES = 16

/** Right to read the range. */
export const RIGHT_READ = 1

/** Right to write the range. */
export const RIGHT_WRITE = 2

/** Every right this version knows. */
export const ALL_RIGHTS = RIGHT_READ | RIGHT_WRITE

const KEY_BYTES = 32
const HASH_BYTES = 32
const SIGNATURE_BYTES = 64
const DOMAIN_BYTES = new TextEncoder().encode(`${CAPABILITY_DOMAIN}\0`)

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Bytes that are not a well-formed, canonically encoded capability token: not dag-cbor, not
 * canonical, too long, a chain of 0 or more than {@link MAX_CAPABILITY_CHAIN} links, a missing,
 * extra or out-of-range field.
 */
export class CapabilityDecodeError extends AssetError {
  override readonly name = 'CapabilityDecodeError'
  readonly code = 'ERR_CAPABILITY_DECODE'

  /**
   * @param field - path of the offending field (`links[1].o`), or `bytes` for the whole token
   * @param problem - what is wrong with it
   * @param options - the underlying error, if any
   */
  constructor(
    readonly field: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`Malformed capability token at ${field}: ${problem}.`, options)
  }
}

/** Stable codes of {@link CapabilityRefusedError}. */
export type CapabilityRefusalCode =
  | 'CAPABILITY_BAD_SIGNATURE'
  | 'CAPABILITY_WRONG_GRANTEE'
  | 'CAPABILITY_WRONG_ADDRESS'
  | 'CAPABILITY_NOT_YET_VALID'
  | 'CAPABILITY_EXPIRED'
  | 'CAPABILITY_OUT_OF_RANGE'
  | 'CAPABILITY_NO_RIGHT'
  | 'CAPABILITY_WRONG_OWNER'
  | 'CAPABILITY_WIDENED'

/**
 * How a link fails to stay within its parent (reason of `CAPABILITY_WIDENED`): signed by someone
 * other than the parent's grantee (`issuer`), naming another parent (`parent`), another address
 * (`address`), a range not inside the parent's (`range`), a right the parent lacks (`rights`), a
 * window not inside the parent's (`time`).
 */
export type CapabilityWidenedReason = 'issuer' | 'parent' | 'address' | 'range' | 'rights' | 'time'

const REFUSAL_SENTENCES: Record<CapabilityRefusalCode, string> = {
  CAPABILITY_BAD_SIGNATURE: 'A signature of the capability token does not verify.',
  CAPABILITY_WRONG_GRANTEE: 'The capability token was granted to another key.',
  CAPABILITY_WRONG_ADDRESS: 'The capability token is for another asset address.',
  CAPABILITY_NOT_YET_VALID: 'The capability token is not valid yet.',
  CAPABILITY_EXPIRED: 'The capability token has expired: ask the owner for a new one.',
  CAPABILITY_OUT_OF_RANGE: 'The requested bytes are outside the range the token grants.',
  CAPABILITY_NO_RIGHT: 'The capability token does not grant this kind of access.',
  CAPABILITY_WRONG_OWNER: "The capability token is not signed by the asset's owner.",
  CAPABILITY_WIDENED: 'A link of the capability token grants more than the link it derives from.',
}

/**
 * A capability token does not allow a request. `code` says which rule failed (stable, crosses the
 * network in `toJSON()`), `link` is the index of the link at fault (the last one for the request
 * checks), `reason` details `CAPABILITY_WIDENED`.
 */
export class CapabilityRefusedError extends AssetError {
  override readonly name = 'CapabilityRefusedError'
  readonly code: CapabilityRefusalCode
  override readonly reason: CapabilityWidenedReason | undefined

  /**
   * @param code - which rule failed
   * @param link - index of the link at fault
   * @param reason - for `CAPABILITY_WIDENED`, which way the link widens its parent
   */
  constructor(
    code: CapabilityRefusalCode,
    readonly link: number,
    reason?: CapabilityWidenedReason,
  ) {
    super(
      reason === undefined
        ? REFUSAL_SENTENCES[code]
        : `${REFUSAL_SENTENCES[code]} (${reason}, link ${link})`,
    )
    this.code = code
    this.reason = reason
  }
}

// ---------------------------------------------------------------------------------------------
// Types

/** What a link grants: the fields an issuer chooses. */
export interface CapabilityGrant {
  /** Raw 32-byte Ed25519 key of the grantee (the key of its peer ID). */
  readonly grantee: Uint8Array
  /** The asset. */
  readonly address: GlobalAddress
  /** First byte of the granted range, within the asset. */
  readonly offset: number
  /** Length of the granted range, ≥ 1; `offset + length` is a safe integer. */
  readonly length: number
  /** Bitset of {@link RIGHT_READ} and {@link RIGHT_WRITE}, not empty. */
  readonly rights: number
  /** First instant of validity, ms since the epoch. */
  readonly notBefore: number
  /** First instant of invalidity, ms since the epoch, > `notBefore`. */
  readonly expiry: number
  /** 16 random bytes: makes every grant distinct (and nameable by hash, e.g. to revoke it). */
  readonly nonce: Uint8Array
}

/** One signed link of a token. */
export interface CapabilityLink extends CapabilityGrant {
  /** {@link CAPABILITY_VERSION}. */
  readonly version: number
  /** Key that signed the link: the owner for the root, the parent's grantee otherwise. */
  readonly issuer: Uint8Array
  /** {@link capabilityLinkHash} of the previous link; `null` on the root. */
  readonly parent: Uint8Array | null
  /** Ed25519 signature of `issuer` over {@link capabilitySignBytes}. */
  readonly signature: Uint8Array
}

/** A capability token: the owner's root link, then up to three attenuations. */
export interface Capability {
  readonly links: readonly CapabilityLink[]
}

/** An access to check with {@link checkCapability}. */
export interface CapabilityRequest {
  /** Ed25519 key of the requester (the key its connection authenticated). */
  readonly grantee: Uint8Array
  /** The address being accessed. */
  readonly address: GlobalAddress
  /** First byte accessed. */
  readonly offset: number
  /** Bytes accessed (0 is allowed and only needs the offset inside the range). */
  readonly length: number
  /** The rights the access needs: {@link RIGHT_READ}, {@link RIGHT_WRITE} or both. */
  readonly right: number
}

/** What {@link checkCapability} needs besides the token and the request. */
export interface CheckCapabilityOptions {
  /** The current time, ms since the epoch (from the Clock port). */
  readonly now: number
  /** Ed25519 by the project's rule (lib/crypto/ed25519-rule.ts), or a native adapter of it. */
  readonly verifier: SignatureVerifier
  /** Raw Ed25519 key of the asset's owner, as the checking node knows it (its own key). */
  readonly owner: Uint8Array
}

/** Verdict of {@link checkCapability}. */
export type CapabilityCheck =
  | { readonly ok: true; readonly grant: CapabilityLink }
  | { readonly ok: false; readonly error: CapabilityRefusedError }

/**
 * Signs link bytes with the issuer's Ed25519 key. The `Signer` port of lib/ports.ts fits; so does
 * `{ publicKey, sign: (m) => ed25519.sign(m, secret) }`.
 */
export interface CapabilitySigner {
  /** Raw 32-byte Ed25519 public key: becomes the link's issuer. */
  readonly publicKey: Uint8Array
  /** Returns the 64-byte signature of `data`. */
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** The narrower grant of {@link attenuateCapability}; omitted fields keep the parent's value. */
export interface AttenuationFields {
  /** Key of the new grantee. */
  readonly grantee: Uint8Array
  /** 16 random bytes. */
  readonly nonce: Uint8Array
  /** Default: the parent's offset. */
  readonly offset?: number
  /** Default: from `offset` to the end of the parent's range. */
  readonly length?: number
  /** Default: the parent's rights. */
  readonly rights?: number
  /** Default: the parent's. */
  readonly notBefore?: number
  /** Default: the parent's. */
  readonly expiry?: number
}

// ---------------------------------------------------------------------------------------------
// Field rules, shared by the decoder, the builders and the checker

function isUint(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

function isBytes(x: unknown, length: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === length
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Which grant field breaks a rule, and the rule; `null` when all hold. */
function grantProblem(g: CapabilityGrant): [keyof CapabilityGrant, string] | null {
  if (!isBytes(g.grantee, KEY_BYTES)) return ['grantee', 'must be 32 bytes']
  try {
    encodeGlobalAddress(g.address)
  } catch {
    return ['address', 'must be a valid GlobalAddress']
  }
  if (!isUint(g.offset)) return ['offset', 'must be a non-negative safe integer']
  if (!isUint(g.length) || g.length < 1) return ['length', 'must be a positive safe integer']
  if (!Number.isSafeInteger(g.offset + g.length)) {
    return ['length', 'must end the range at a safe integer']
  }
  if (!isUint(g.rights) || g.rights < 1 || (g.rights & ~ALL_RIGHTS) !== 0) {
    return ['rights', 'must be a non-empty set of read (1) and write (2)']
  }
  if (!isUint(g.notBefore)) return ['notBefore', 'must be a non-negative safe integer (ms)']
  if (!isUint(g.expiry) || g.expiry <= g.notBefore) {
    return ['expiry', 'must be a safe integer (ms) after notBefore']
  }
  if (!isBytes(g.nonce, CAPABILITY_NONCE_BYTES)) return ['nonce', 'must be 16 bytes']
  return null
}

function linkProblem(l: CapabilityLink, index: number): [string, string] | null {
  if (typeof l !== 'object' || l === null) return ['', 'must be a link']
  if (l.version !== CAPABILITY_VERSION) return ['version', `must be ${CAPABILITY_VERSION}`]
  if (!isBytes(l.issuer, KEY_BYTES)) return ['issuer', 'must be 32 bytes']
  if (index === 0 ? l.parent !== null : !isBytes(l.parent, HASH_BYTES)) {
    return ['parent', index === 0 ? 'must be null on the root' : 'must be 32 bytes']
  }
  if (!isBytes(l.signature, SIGNATURE_BYTES)) return ['signature', 'must be 64 bytes']
  return grantProblem(l)
}

/** How `child` widens `parent`, or `null` when it stays within. */
function widening(parent: CapabilityLink, child: CapabilityLink): CapabilityWidenedReason | null {
  if (!sameBytes(child.issuer, parent.grantee)) return 'issuer'
  if (child.parent === null || !sameBytes(child.parent, capabilityLinkHash(parent))) {
    return 'parent'
  }
  if (!globalAddressEquals(child.address, parent.address)) return 'address'
  if (child.offset < parent.offset || child.offset + child.length > parent.offset + parent.length) {
    return 'range'
  }
  if ((child.rights & ~parent.rights) !== 0) return 'rights'
  if (child.notBefore < parent.notBefore || child.expiry > parent.expiry) return 'time'
  return null
}

// ---------------------------------------------------------------------------------------------
// Encoding

function unsignedBody(l: Omit<CapabilityLink, 'signature'>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    v: l.version,
    i: l.issuer,
    g: l.grantee,
    a: encodeGlobalAddress(l.address),
    o: l.offset,
    l: l.length,
    r: l.rights,
    nb: l.notBefore,
    x: l.expiry,
    n: l.nonce,
  }
  if (l.parent !== null) body.p = l.parent
  return body
}

function linkBody(l: CapabilityLink): Record<string, unknown> {
  return { ...unsignedBody(l), s: l.signature }
}

/**
 * The bytes a link's issuer signs: `"hypermesh/capability/v1" ‖ 0x00 ‖ dag-cbor(link without s)`.
 * The parent hash is inside, so a link cannot be moved onto another chain.
 *
 * @throws {@link AssetArgumentError} when the link's fields are invalid
 */
export function capabilitySignBytes(link: Omit<CapabilityLink, 'signature'>): Uint8Array {
  if (typeof link !== 'object' || link === null) {
    throw new AssetArgumentError('capabilitySignBytes.link', 'must be an object')
  }
  // A link without a parent is checked as a root, one with a parent as a later link.
  const problem = linkProblem(
    { ...link, signature: new Uint8Array(SIGNATURE_BYTES) },
    link.parent === null ? 0 : 1,
  )
  if (problem !== null) {
    throw new AssetArgumentError(`capabilitySignBytes.link.${problem[0]}`, problem[1])
  }
  const encoded = dagCbor.encode(unsignedBody(link))
  const out = new Uint8Array(DOMAIN_BYTES.length + encoded.length)
  out.set(DOMAIN_BYTES, 0)
  out.set(encoded, DOMAIN_BYTES.length)
  return out
}

/**
 * SHA-256 of a link's dag-cbor encoding (signature included): how the next link names it, and a
 * handle for the grant (e.g. to revoke it).
 */
export function capabilityLinkHash(link: CapabilityLink): Uint8Array {
  return sha256(dagCbor.encode(linkBody(link)))
}

function checkToken(token: Capability, where: string): void {
  const links = (token as Capability | null)?.links
  if (!Array.isArray(links) || links.length < 1 || links.length > MAX_CAPABILITY_CHAIN) {
    throw new AssetArgumentError(`${where}.links`, `must hold 1–${MAX_CAPABILITY_CHAIN} links`)
  }
  links.forEach((l: CapabilityLink, i) => {
    const problem = linkProblem(l, i)
    if (problem !== null) {
      throw new AssetArgumentError(`${where}.links[${i}].${problem[0]}`, problem[1])
    }
  })
}

/**
 * The wire form of a token (dag-cbor array of links, canonical).
 *
 * @throws {@link AssetArgumentError} when the token is not well formed
 */
export function encodeCapability(token: Capability): Uint8Array {
  checkToken(token, 'encodeCapability.token')
  return dagCbor.encode(token.links.map(linkBody))
}

const ROOT_KEYS = ['v', 'i', 'g', 'a', 'o', 'l', 'r', 'nb', 'x', 'n', 's'] as const
const LINK_KEYS = [...ROOT_KEYS, 'p'] as const
const FIELD_KEYS: Record<string, string> = {
  version: 'v',
  issuer: 'i',
  grantee: 'g',
  address: 'a',
  offset: 'o',
  length: 'l',
  rights: 'r',
  notBefore: 'nb',
  expiry: 'x',
  nonce: 'n',
  parent: 'p',
  signature: 's',
}

function isMap(x: unknown): x is Record<string, unknown> {
  return (
    typeof x === 'object' &&
    x !== null &&
    !Array.isArray(x) &&
    !(x instanceof Uint8Array) &&
    Object.getPrototypeOf(x) === Object.prototype
  )
}

function decodeLink(x: unknown, index: number): CapabilityLink {
  const where = `links[${index}]`
  if (!isMap(x)) throw new CapabilityDecodeError(where, 'not a map')
  const keys: readonly string[] = index === 0 ? ROOT_KEYS : LINK_KEYS
  const own = Object.keys(x)
  if (own.length !== keys.length || !keys.every((k) => Object.hasOwn(x, k))) {
    throw new CapabilityDecodeError(where, `keys must be exactly ${keys.join(', ')}`)
  }
  if (!isBytes(x.a, GLOBAL_ADDRESS_BYTES)) {
    throw new CapabilityDecodeError(`${where}.a`, `must be ${GLOBAL_ADDRESS_BYTES} bytes`)
  }
  let address: GlobalAddress
  try {
    address = decodeGlobalAddress(x.a)
  } catch (e) {
    if (!(e instanceof InvalidGlobalAddressError)) throw e
    throw new CapabilityDecodeError(`${where}.a`, 'not a global address', { cause: e })
  }
  const link = {
    version: x.v,
    issuer: x.i,
    grantee: x.g,
    address,
    offset: x.o,
    length: x.l,
    rights: x.r,
    notBefore: x.nb,
    expiry: x.x,
    nonce: x.n,
    parent: index === 0 ? null : x.p,
    signature: x.s,
  } as CapabilityLink
  const problem = linkProblem(link, index)
  if (problem !== null) {
    throw new CapabilityDecodeError(`${where}.${FIELD_KEYS[problem[0]] ?? problem[0]}`, problem[1])
  }
  return Object.freeze(link)
}

/**
 * Read a token from the network: size first, then canonical dag-cbor, 1–4 links with exactly
 * their fields, each in range. Does not check signatures, the chain or anything about a request:
 * that is {@link checkCapability}. Throws nothing but {@link CapabilityDecodeError}.
 *
 * @throws {@link CapabilityDecodeError} for anything but a well-formed token in canonical form
 * @example
 * ```ts
 * const token = decodeCapability(bytes)
 * const verdict = checkCapability(token, request, { now: clock.now(), verifier, owner })
 * ```
 */
export function decodeCapability(bytes: Uint8Array): Capability {
  if (!(bytes instanceof Uint8Array)) throw new CapabilityDecodeError('bytes', 'expected bytes')
  if (bytes.length > MAX_CAPABILITY_BYTES) {
    throw new CapabilityDecodeError('bytes', `${bytes.length} bytes, limit ${MAX_CAPABILITY_BYTES}`)
  }
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (e) {
    throw new CapabilityDecodeError('bytes', 'not dag-cbor', { cause: e })
  }
  let again: Uint8Array
  try {
    again = dagCbor.encode(raw)
  } catch (e) {
    throw new CapabilityDecodeError('bytes', 'not re-encodable', { cause: e })
  }
  if (!sameBytes(again, bytes)) throw new CapabilityDecodeError('bytes', 'not canonical')
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_CAPABILITY_CHAIN) {
    throw new CapabilityDecodeError('bytes', `must be a list of 1–${MAX_CAPABILITY_CHAIN} links`)
  }
  return Object.freeze({ links: Object.freeze(raw.map(decodeLink)) })
}

// ---------------------------------------------------------------------------------------------
// Issuing

async function signLink(
  unsigned: Omit<CapabilityLink, 'signature'>,
  signer: CapabilitySigner,
  where: string,
): Promise<CapabilityLink> {
  const signature = await signer.sign(capabilitySignBytes(unsigned))
  if (!isBytes(signature, SIGNATURE_BYTES)) {
    throw new AssetArgumentError(`${where}.sign`, 'must return a 64-byte signature')
  }
  return Object.freeze({ ...unsigned, signature: Uint8Array.from(signature) })
}

function copyGrant(g: CapabilityGrant): CapabilityGrant {
  return {
    grantee: Uint8Array.from(g.grantee),
    address: decodeGlobalAddress(encodeGlobalAddress(g.address)),
    offset: g.offset,
    length: g.length,
    rights: g.rights,
    notBefore: g.notBefore,
    expiry: g.expiry,
    nonce: Uint8Array.from(g.nonce),
  }
}

/**
 * Issue a token as the asset's owner: a one-link chain signed by `signer`, whose key becomes the
 * root's issuer (the key {@link checkCapability} compares with the owner's).
 *
 * @param grant - grantee, address, range, rights, window and nonce
 * @param signer - the owner's key
 * @throws {@link AssetArgumentError} for invalid fields or a signer that does not return 64 bytes
 * @example
 * ```ts
 * const token = await issueCapability(
 *   { grantee: bobKey, address, offset: 0, length: 1 << 20, rights: RIGHT_READ,
 *     notBefore: now, expiry: now + 3_600_000, nonce: random16() },
 *   nodeSigner,
 * )
 * send(encodeCapability(token))
 * ```
 */
export async function issueCapability(
  grant: CapabilityGrant,
  signer: CapabilitySigner,
): Promise<Capability> {
  if (typeof grant !== 'object' || grant === null) {
    throw new AssetArgumentError('issueCapability.grant', 'must be an object')
  }
  const problem = grantProblem(grant)
  if (problem !== null)
    throw new AssetArgumentError(`issueCapability.grant.${problem[0]}`, problem[1])
  if (!isBytes(signer?.publicKey, KEY_BYTES)) {
    throw new AssetArgumentError('issueCapability.signer.publicKey', 'must be 32 bytes')
  }
  const root = await signLink(
    {
      version: CAPABILITY_VERSION,
      issuer: Uint8Array.from(signer.publicKey),
      parent: null,
      ...copyGrant(grant),
    },
    signer,
    'issueCapability.signer',
  )
  return Object.freeze({ links: Object.freeze([root]) })
}

/**
 * Hand a narrower grant on: append a link signed by the current holder (`signer` must be the
 * grantee of the token's last link). Omitted fields keep the parent's values; the address is
 * always the parent's. The result is refused here, not later, if it would widen its parent.
 *
 * @param parent - the token held
 * @param fields - new grantee and nonce, and any narrower range, rights or window
 * @param signer - the key of the parent's grantee
 * @throws {@link CapabilityRefusedError} `CAPABILITY_WIDENED` when the new link would not be
 *   within its parent (reason `issuer` when `signer` is not the parent's grantee)
 * @throws {@link AssetArgumentError} for a malformed parent, invalid fields, a token that already
 *   has {@link MAX_CAPABILITY_CHAIN} links, or a signer that does not return 64 bytes
 * @example
 * ```ts
 * const forCarol = await attenuateCapability(
 *   tokenFromAlice, { grantee: carolKey, nonce: random16(), rights: RIGHT_READ, length: 4096 },
 *   bobSigner,
 * )
 * ```
 */
export async function attenuateCapability(
  parent: Capability,
  fields: AttenuationFields,
  signer: CapabilitySigner,
): Promise<Capability> {
  checkToken(parent, 'attenuateCapability.parent')
  if (parent.links.length >= MAX_CAPABILITY_CHAIN) {
    throw new AssetArgumentError(
      'attenuateCapability.parent',
      `already has ${MAX_CAPABILITY_CHAIN} links, the most a token may hold`,
    )
  }
  if (typeof fields !== 'object' || fields === null) {
    throw new AssetArgumentError('attenuateCapability.fields', 'must be an object')
  }
  if (!isBytes(signer?.publicKey, KEY_BYTES)) {
    throw new AssetArgumentError('attenuateCapability.signer.publicKey', 'must be 32 bytes')
  }
  const index = parent.links.length
  const last = parent.links[index - 1]!
  const offset = fields.offset ?? last.offset
  const grant: CapabilityGrant = {
    grantee: fields.grantee,
    address: last.address,
    offset,
    // An offset past the parent's end gets length 1, so the widening check names the range.
    length: fields.length ?? Math.max(1, last.offset + last.length - offset),
    rights: fields.rights ?? last.rights,
    notBefore: fields.notBefore ?? last.notBefore,
    expiry: fields.expiry ?? last.expiry,
    nonce: fields.nonce,
  }
  const problem = grantProblem(grant)
  if (problem !== null) {
    throw new AssetArgumentError(`attenuateCapability.fields.${problem[0]}`, problem[1])
  }
  const unsigned = {
    version: CAPABILITY_VERSION,
    issuer: Uint8Array.from(signer.publicKey),
    parent: capabilityLinkHash(last),
    ...copyGrant(grant),
  }
  const widened = widening(last, { ...unsigned, signature: new Uint8Array(SIGNATURE_BYTES) })
  if (widened !== null) throw new CapabilityRefusedError('CAPABILITY_WIDENED', index, widened)
  const link = await signLink(unsigned, signer, 'attenuateCapability.signer')
  return Object.freeze({ links: Object.freeze([...parent.links, link]) })
}

// ---------------------------------------------------------------------------------------------
// Checking

function checkRequest(request: CapabilityRequest, options: CheckCapabilityOptions): void {
  const where = 'checkCapability'
  if (typeof request !== 'object' || request === null) {
    throw new AssetArgumentError(`${where}.request`, 'must be an object')
  }
  if (!isBytes(request.grantee, KEY_BYTES)) {
    throw new AssetArgumentError(`${where}.request.grantee`, 'must be 32 bytes')
  }
  try {
    encodeGlobalAddress(request.address)
  } catch {
    throw new AssetArgumentError(`${where}.request.address`, 'must be a valid GlobalAddress')
  }
  if (
    !isUint(request.offset) ||
    !isUint(request.length) ||
    !Number.isSafeInteger(request.offset + request.length)
  ) {
    throw new AssetArgumentError(
      `${where}.request`,
      'offset and length must be non-negative safe integers with a safe sum',
    )
  }
  if (!isUint(request.right) || request.right < 1 || (request.right & ~ALL_RIGHTS) !== 0) {
    throw new AssetArgumentError(`${where}.request.right`, 'must be read (1), write (2) or both')
  }
  if (typeof options !== 'object' || options === null) {
    throw new AssetArgumentError(`${where}.options`, 'must be an object')
  }
  if (typeof options.now !== 'number' || !Number.isFinite(options.now)) {
    throw new AssetArgumentError(`${where}.options.now`, 'must be a finite number (ms)')
  }
  if (typeof options.verifier?.verify !== 'function') {
    throw new AssetArgumentError(`${where}.options.verifier`, 'must be a SignatureVerifier')
  }
  if (!isBytes(options.owner, KEY_BYTES)) {
    throw new AssetArgumentError(`${where}.options.owner`, 'must be 32 bytes')
  }
}

function refuse(
  code: CapabilityRefusalCode,
  link: number,
  reason?: CapabilityWidenedReason,
): CapabilityCheck {
  return { ok: false, error: new CapabilityRefusedError(code, link, reason) }
}

/**
 * Whether `token` allows `request` at `options.now`. The rules, in the order they are checked
 * (the first that fails is reported; the cheap ones first, so a flood of bad requests costs no
 * signature verification):
 *
 * 1. the root is issued by `options.owner` (`CAPABILITY_WRONG_OWNER`);
 * 2. the root names `request.address` (`CAPABILITY_WRONG_ADDRESS`);
 * 3. every further link is within its parent: issued by the parent's grantee and naming the
 *    parent's hash, same address, sub-range, subset of rights, window inside
 *    (`CAPABILITY_WIDENED`, with a `reason`);
 * 4. the last link's grantee is `request.grantee` (`CAPABILITY_WRONG_GRANTEE`);
 * 5. `notBefore ≤ now` (`CAPABILITY_NOT_YET_VALID`) and `now < expiry` (`CAPABILITY_EXPIRED`);
 * 6. `[offset, offset + length)` lies in the granted range (`CAPABILITY_OUT_OF_RANGE`);
 * 7. the granted rights include `request.right` (`CAPABILITY_NO_RIGHT`);
 * 8. every link's signature verifies with its issuer's key (`CAPABILITY_BAD_SIGNATURE`).
 *
 * Since each link is within its parent, rules 5–7 on the last link imply them on every link.
 * Verification goes through `options.verifier` only, so every node reaches the same verdict.
 *
 * @returns `{ ok: true, grant }` with the last link, or `{ ok: false, error }`
 * @throws {@link AssetArgumentError} for a malformed token (decode it with
 *   {@link decodeCapability}), request or options
 * @example
 * ```ts
 * const verdict = checkCapability(token, { grantee: peerKey, address, offset, length,
 *   right: RIGHT_READ }, { now: clock.now(), verifier, owner: self.publicKey })
 * if (!verdict.ok) return reply(verdict.error.toJSON())
 * ```
 */
export function checkCapability(
  token: Capability,
  request: CapabilityRequest,
  options: CheckCapabilityOptions,
): CapabilityCheck {
  checkToken(token, 'checkCapability.token')
  checkRequest(request, options)
  const links = token.links
  const root = links[0]!
  const lastIndex = links.length - 1
  const last = links[lastIndex]!
  if (!sameBytes(root.issuer, options.owner)) return refuse('CAPABILITY_WRONG_OWNER', 0)
  if (!globalAddressEquals(root.address, request.address)) {
    return refuse('CAPABILITY_WRONG_ADDRESS', 0)
  }
  for (let i = 1; i < links.length; i++) {
    const reason = widening(links[i - 1]!, links[i]!)
    if (reason !== null) return refuse('CAPABILITY_WIDENED', i, reason)
  }
  if (!sameBytes(last.grantee, request.grantee)) {
    return refuse('CAPABILITY_WRONG_GRANTEE', lastIndex)
  }
  if (options.now < last.notBefore) return refuse('CAPABILITY_NOT_YET_VALID', lastIndex)
  if (options.now >= last.expiry) return refuse('CAPABILITY_EXPIRED', lastIndex)
  if (request.offset < last.offset || request.offset + request.length > last.offset + last.length) {
    return refuse('CAPABILITY_OUT_OF_RANGE', lastIndex)
  }
  if ((request.right & ~last.rights) !== 0) return refuse('CAPABILITY_NO_RIGHT', lastIndex)
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!
    if (!options.verifier.verify(link.issuer, capabilitySignBytes(link), link.signature)) {
      return refuse('CAPABILITY_BAD_SIGNATURE', i)
    }
  }
  return { ok: true, grant: last }
}
