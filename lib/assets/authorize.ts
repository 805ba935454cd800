/**
 * The remote-memory server's `authorize` port (remote-memory.ts) backed by capability tokens
 * (capability.ts): the token must be a well-formed chain rooted in this node's key (the asset
 * owner), end with the requesting peer as grantee, name the address, cover the byte range and
 * grant the right, now. Refusals carry the capability check's stable code to the peer.
 */
import type { SignatureVerifier } from '../ports'
import {
  RIGHT_READ,
  RIGHT_WRITE,
  checkCapability,
  decodeCapability,
  type Capability,
} from './capability'
import { decodeGlobalAddress, parsePeerId } from './global-address'
import type { AuthorizeRequest, AuthorizeVerdict } from './remote-memory'

/** What the authorizer needs: the owner's key and the node's Ed25519 verifier. */
export interface CapabilityAuthorizerInit {
  /** Raw Ed25519 key of this node, the owner of the assets it serves. */
  owner: Uint8Array
  verifier: SignatureVerifier
}

/** Decoded tokens an authorizer keeps (a peer uses one token for many requests). */
const TOKEN_CACHE_ENTRIES = 16

/** Peers whose grantee key an authorizer keeps. */
const PEER_CACHE_ENTRIES = 256

/**
 * Build the `authorize` port of a remote-memory server from capability tokens.
 *
 * Speed: a peer sends the same token with every request, so the last
 * {@link TOKEN_CACHE_ENTRIES} decoded tokens and the grantee key of the last
 * {@link PEER_CACHE_ENTRIES} peers are kept, keyed by their exact bytes and peer ID: decoding
 * (dag-cbor, then re-encoding to prove the bytes canonical) and parsing the peer ID were 40 µs of
 * the 70 µs a check took (Node, docs/performance.md). Only successful decodes are kept, and a kept token
 * never leaves this closure, so nothing can change it; every request is still checked in full
 * against the token (owner, address, grantee, window, range, right, signatures).
 *
 * @example
 * ```ts
 * const server = createRemoteMemoryServer({ assets, clock, authorize: capabilityAuthorizer({ owner, verifier }) })
 * ```
 */
export function capabilityAuthorizer(
  init: CapabilityAuthorizerInit,
): (token: Uint8Array, request: AuthorizeRequest, now: number) => AuthorizeVerdict {
  // Most recently used last; a linear scan is cheaper than hashing the token for so few entries.
  const tokens: { bytes: Uint8Array; token: Capability }[] = []
  const grantees = new Map<string, Uint8Array | null>()

  const decodeCached = (bytes: Uint8Array): Capability => {
    for (let i = tokens.length - 1; i >= 0; i--) {
      const e = tokens[i]!
      if (sameBytes(e.bytes, bytes)) {
        if (i !== tokens.length - 1) tokens.push(...tokens.splice(i, 1))
        return e.token
      }
    }
    // Decoded from a copy of its own (a Buffer's slice() is a view, and the decoder may return
    // views of its input): the caller's buffer may be reused or changed after the call.
    const own = Uint8Array.from(bytes)
    const token = decodeCapability(own)
    tokens.push({ bytes: own, token })
    if (tokens.length > TOKEN_CACHE_ENTRIES) tokens.shift()
    return token
  }

  const granteeOf = (peer: string): Uint8Array | null => {
    let key = grantees.get(peer)
    if (key === undefined) {
      try {
        key = parsePeerId(peer).publicKey
      } catch {
        key = null
      }
      if (grantees.size >= PEER_CACHE_ENTRIES) grantees.clear()
      grantees.set(peer, key)
    }
    return key
  }

  return (tokenBytes, request, now) => {
    let token: Capability
    try {
      token = decodeCached(tokenBytes)
    } catch {
      return {
        ok: false,
        code: 'CAPABILITY_MALFORMED',
        message: 'the capability token is malformed',
      }
    }
    const grantee = granteeOf(request.peer)
    if (grantee === null) {
      // A peer whose ID carries no Ed25519 key cannot be the grantee of any token.
      return {
        ok: false,
        code: 'CAPABILITY_WRONG_GRANTEE',
        message: 'the peer has no Ed25519 identity',
      }
    }
    let address
    try {
      address = decodeGlobalAddress(request.address)
    } catch {
      return { ok: false, code: 'CAPABILITY_WRONG_ADDRESS', message: 'the address is malformed' }
    }
    const verdict = checkCapability(
      token,
      {
        grantee,
        address,
        offset: request.offset,
        length: request.length,
        right: request.right === 'read' ? RIGHT_READ : RIGHT_WRITE,
      },
      { now, verifier: init.verifier, owner: init.owner },
    )
    return verdict.ok
      ? { ok: true }
      : { ok: false, code: verdict.error.code, message: verdict.error.message }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
