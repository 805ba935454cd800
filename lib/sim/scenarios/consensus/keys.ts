/**
 * Deterministic Ed25519 keys for the consensus scenario, signing synchronously through
 * node:crypto (OpenSSL). Ed25519 signatures are deterministic (RFC 8032), so these are the same
 * bytes noble would produce for the same seed, and a run replays byte for byte. The seed of a key
 * is SHA-256 of its label; identities are keyed by node index, so the two hosts of a twin share
 * one key.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'

/** A key pair that signs synchronously. */
export interface SimKey {
  /** Raw 32-byte Ed25519 public key (account, validator and node identity). */
  readonly publicKey: Uint8Array
  /** Ed25519 signature of `bytes` (64 bytes). */
  sign(bytes: Uint8Array): Uint8Array
}

/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410); the 32-byte seed follows. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

const cache = new Map<string, SimKey>()

/** The key whose seed is SHA-256("hypermesh-sim-key:" ‖ label). Cached: keys are pure values. */
export function simKey(label: string): SimKey {
  const known = cache.get(label)
  if (known !== undefined) return known
  const seed = sha256(new TextEncoder().encode(`hypermesh-sim-key:${label}`))
  const der = new Uint8Array(PKCS8_PREFIX.length + 32)
  der.set(PKCS8_PREFIX, 0)
  der.set(seed, PKCS8_PREFIX.length)
  const secret: KeyObject = createPrivateKey({
    key: Buffer.from(der),
    format: 'der',
    type: 'pkcs8',
  })
  const spki = createPublicKey(secret).export({ format: 'der', type: 'spki' })
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
  const key: SimKey = {
    publicKey,
    // A plain Uint8Array copy: dag-cbor encoders and comparisons expect no Buffer subclass.
    sign: (bytes) => new Uint8Array(nodeSign(null, bytes, secret)),
  }
  cache.set(label, key)
  return key
}

/** Key of identity `node` (validators 0..V-1, plain nodes V..V+M-1). Twins share it. */
export function identityKey(node: number): SimKey {
  return simKey(`node:${node}`)
}

/** Key of workload client `index` (an account outside the mesh that submits transfers). */
export function clientKey(index: number): SimKey {
  return simKey(`client:${index}`)
}
