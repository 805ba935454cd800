/**
 * Ed25519 inputs at the edges where implementations disagree, built from fixed scalars so every run
 * produces the same bytes. The tests hold every implementation of the consensus rule to the same
 * verdicts on these and on Wycheproof's vectors (lib/crypto/ed25519-rule.test.ts, and the
 * Chromium WebCrypto test beside it).
 */
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js'

/** One verification input. */
export interface SignatureCase {
  name: string
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

const Point = ed25519.Point
const L = Point.Fn.ORDER
const P = Point.Fp.ORDER

function le(n: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

function numberLE(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

function challenge(R: Uint8Array, A: Uint8Array, M: Uint8Array): bigint {
  return numberLE(sha512(concatBytes(R, A, M))) % L
}

/** Sign with explicit scalars so the key or R can carry a torsion component. */
function craft(a: bigint, r: bigint, M: Uint8Array, torsionA?: string, torsionR?: string) {
  let A = Point.BASE.multiply(a)
  if (torsionA) A = A.add(Point.fromHex(torsionA))
  let R = Point.BASE.multiply(r)
  if (torsionR) R = R.add(Point.fromHex(torsionR))
  const pk = A.toBytes()
  const Rb = R.toBytes()
  const s = (r + challenge(Rb, pk, M) * a) % L
  return { publicKey: pk, signature: concatBytes(Rb, le(s)) }
}

const text = (s: string) => new TextEncoder().encode(s)
const IDENTITY = hexToBytes(ED25519_TORSION_SUBGROUP[0]!)

/** The edge cases, each named for what it probes. */
export function edgeCases(): SignatureCase[] {
  const cases: SignatureCase[] = []
  const a = 0x1234567890abcdefn * 0x1000000000000001n + 12345n
  const r = 0xfedcba0987654321n * 0x1000000000000003n + 999n

  // Honest signatures (several message lengths), from noble's own signer.
  for (const [i, len] of [0, 1, 31, 32, 33, 200].entries()) {
    const secret = new Uint8Array(32).fill(i + 1)
    const message = new Uint8Array(len).map((_, j) => (j * 7 + i) & 0xff)
    cases.push({
      name: `honest, ${len}-byte message`,
      publicKey: ed25519.getPublicKey(secret),
      message,
      signature: ed25519.sign(message, secret),
    })
  }
  // Public key with a torsion component (mixed order): the cofactored equation accepts, the
  // cofactorless one only when k ≡ 0 mod the torsion's order.
  for (let i = 1; i < 8; i++) {
    const t = ED25519_TORSION_SUBGROUP[i]!
    if (t.endsWith('80') && t.startsWith('0000')) continue
    const M = text(`mixed-order key ${i}`)
    cases.push({ name: `mixed-order public key (torsion ${i})`, message: M, ...craft(a, r, M, t) })
  }
  // R with a torsion component.
  for (const i of [1, 2, 4]) {
    const M = text(`torsion R ${i}`)
    const t = ED25519_TORSION_SUBGROUP[i]!
    cases.push({ name: `R with torsion ${i}`, message: M, ...craft(a, r, M, undefined, t) })
  }
  // Small-order public keys with S = 0 and R = −[k]A: the cofactorless equation holds, so a bare
  // native implementation accepts a "signature" nobody made. Search messages until R works out.
  for (let i = 0; i < 8; i++) {
    const hex = ED25519_TORSION_SUBGROUP[i]!
    const A = hexToBytes(hex)
    let point
    try {
      point = Point.fromBytes(A, true)
    } catch {
      continue
    }
    for (let n = 0; n < 64; n++) {
      const M = text(`small-order key ${i} try ${n}`)
      // Try R = the identity: valid iff [k]A = identity.
      const k = challenge(IDENTITY, A, M)
      if (point.multiplyUnsafe(k).is0()) {
        cases.push({
          name: `small-order public key ${i}, S = 0`,
          publicKey: A,
          message: M,
          signature: concatBytes(IDENTITY, new Uint8Array(32)),
        })
        break
      }
    }
  }
  // Non-canonical encodings of the identity as the public key (y = p + 1; negative zero).
  const yp1 = le(P + 1n)
  const negZero = IDENTITY.slice()
  negZero[31] = 0x80
  for (const [name, A] of [
    ['non-canonical public key y = p + 1', yp1],
    ['public key with negative zero x', negZero],
  ] as const) {
    cases.push({
      name,
      publicKey: A,
      message: text(name),
      signature: concatBytes(IDENTITY, new Uint8Array(32)),
    })
  }
  // Non-canonical R: the identity written as y = p + 1, on an honest key with S = k·a + 0 … the
  // cofactorless byte comparison can never match it.
  {
    const M = text('non-canonical R')
    const A = Point.BASE.multiply(a).toBytes()
    const s = (challenge(yp1, A, M) * a) % L
    // [S]B − [k]A = identity, written canonically; R is the non-canonical spelling.
    cases.push({
      name: 'non-canonical R',
      publicKey: A,
      message: M,
      signature: concatBytes(yp1, le(s)),
    })
  }
  // S + L: the malleated twin of an honest signature.
  {
    const secret = new Uint8Array(32).fill(42)
    const M = text('malleable')
    const sig = ed25519.sign(M, secret)
    const s = numberLE(sig.subarray(32)) + L
    cases.push({
      name: 'S + L (unreduced scalar)',
      publicKey: ed25519.getPublicKey(secret),
      message: M,
      signature: concatBytes(sig.subarray(0, 32), le(s)),
    })
  }
  return cases
}

/** Wycheproof's Ed25519 cases (the JSON of testdata/vectors/ed25519) as {@link SignatureCase}s. */
export function wycheproofCases(json: {
  testGroups: {
    publicKey: { pk: string }
    tests: { tcId: number; msg: string; sig: string; result: string; comment: string }[]
  }[]
}): (SignatureCase & { expected: boolean })[] {
  return json.testGroups.flatMap((g) =>
    g.tests.map((t) => ({
      name: `wycheproof #${t.tcId} ${t.comment}`,
      publicKey: hexToBytes(g.publicKey.pk),
      message: hexToBytes(t.msg),
      signature: t.sig.length % 2 === 0 ? hexToBytes(t.sig) : new Uint8Array(0),
      expected: t.result === 'valid',
    })),
  )
}
