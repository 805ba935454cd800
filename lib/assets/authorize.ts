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

/**
 * Build the `authorize` port of a remote-memory server from capability tokens.
 *
 * @example
 * ```ts
 * const server = createRemoteMemoryServer({ assets, clock, authorize: capabilityAuthorizer({ owner, verifier }) })
 * ```
 */
export function capabilityAuthorizer(
  init: CapabilityAuthorizerInit,
): (token: Uint8Array, request: AuthorizeRequest, now: number) => AuthorizeVerdict {
  return (tokenBytes, request, now) => {
    let token: Capability
    try {
      token = decodeCapability(tokenBytes)
    } catch {
      return {
        ok: false,
        code: 'CAPABILITY_MALFORMED',
        message: 'the capability token is malformed',
      }
    }
    let grantee: Uint8Array
    try {
      grantee = parsePeerId(request.peer).publicKey
    } catch {
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
