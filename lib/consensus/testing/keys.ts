/**
 * Fixed Ed25519 test keys (derived from names, so every run and every machine has the same ones),
 * signing with them, and the strict verifier as the SignatureVerifier port. Tests only.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesEqual, concatBytes } from '../bytes'
import { verifyEd25519 } from '../../trustchain/ed25519'
import type { SignatureVerifier } from '../../ports'

/** An Ed25519 key pair derived from a fixed name. */
export interface TestKey {
  name: string
  secret: Uint8Array
  publicKey: Uint8Array
}

/** The key of `name`: secret = SHA-256("hypermesh-test-key:" ‖ name). */
export function testKey(name: string): TestKey {
  const secret = sha256(new TextEncoder().encode(`hypermesh-test-key:${name}`))
  return { name, secret, publicKey: ed25519.getPublicKey(secret) }
}

/** The strict verifier (lib/trustchain/ed25519.ts) as a SignatureVerifier port. */
export const testVerifier: SignatureVerifier = { verify: verifyEd25519 }

/** Sign with a test key. */
export function testSign(key: TestKey): (bytes: Uint8Array) => Uint8Array {
  return (bytes) => ed25519.sign(bytes, key.secret)
}

/**
 * A fast stand-in for Ed25519 in large or many-seed runs (the Ed25519 path has its own tests):
 * the signature is SHA-256(key ‖ message) twice, so it still binds signer and message, and a
 * changed byte still fails. Not a signature scheme: anyone can forge it.
 */
export const fastTestCrypto = {
  signer:
    (key: { publicKey: Uint8Array }) =>
    (bytes: Uint8Array): Uint8Array => {
      const h = sha256(concatBytes(key.publicKey, bytes))
      return concatBytes(h, h)
    },
  verifier: {
    verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean =>
      signature.length === 64 &&
      bytesEqual(signature.subarray(0, 32), sha256(concatBytes(publicKey, message))),
  } satisfies SignatureVerifier,
}
