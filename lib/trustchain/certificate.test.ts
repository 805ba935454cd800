import 'reflect-metadata'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonGeneralNames,
  type JsonNameParams,
} from '@peculiar/x509'
import { ed25519 } from '@noble/curves/ed25519.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
// Tests only: real certificates come from the CA. The core itself never imports the server.
// eslint-disable-next-line no-restricted-imports
import { CertificateIssuer, certificateToPem, createRootCertificate } from '../server/ca'
import {
  MAX_CERTIFICATE_BYTES,
  PEER_URI_PREFIX,
  parseCertificate,
  peerIdOfPublicKey,
  verifyCertificateSignature,
  type ParsedCertificate,
} from './certificate'

/** A fixed epoch: nothing here reads the wall clock. */
const T0 = Date.UTC(2026, 4, 20, 9, 30, 15)
const DAY_MS = 86_400_000
const crypto = webcrypto as Crypto

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

const MALFORMED = {
  name: 'MalformedCertificateError',
  code: 'ERR_CERTIFICATE_FORMAT',
  check: 'format',
}
const CHAIN = { name: 'CertificateChainError', code: 'ERR_CERTIFICATE_CHAIN', check: 'chain' }

function expectMalformed(input: unknown): void {
  expect(thrown(() => parseCertificate(input as Uint8Array))).toMatchObject(MALFORMED)
}

function hex(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex')
}

function identity(seed: Uint8Array = ed25519.utils.randomSecretKey()) {
  const publicKey = ed25519.getPublicKey(seed)
  return { publicKey, peerId: peerIdOfPublicKey(publicKey) }
}

/** The key and claimed peer ID of an issuance request for a fresh identity. */
function identityRequest() {
  const who = identity()
  return { publicKey: who.publicKey, claimedPeerId: who.peerId, serial: serial() }
}

function serial(): Uint8Array {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return bytes
}

interface Root {
  key: KeyObject
  der: Uint8Array
  parsed: ParsedCertificate
  issuer: CertificateIssuer
}

async function makeRoot(name?: string): Promise<Root> {
  const key = generateKeyPairSync('ed25519').privateKey
  const der = await createRootCertificate(key, { now: T0, ...(name ? { name } : {}) })
  return {
    key,
    der,
    parsed: parseCertificate(der),
    issuer: new CertificateIssuer({ privateKey: key, certificateDer: der }),
  }
}

function issue(root: Root, who = identity()): Uint8Array {
  return root.issuer.issue({
    publicKey: who.publicKey,
    claimedPeerId: who.peerId,
    serial: serial(),
    now: T0,
    validityMs: DAY_MS,
  })
}

interface Craft {
  subject?: string
  issuer?: string | Name
  san?: JsonGeneralNames | null
  sanCritical?: boolean
  basic?: BasicConstraintsExtension | null
  usage?: KeyUsageFlags
  authorityKeyId?: string
  extra?: Extension[]
  publicKey?: CryptoKey
}

/**
 * A certificate built with @peculiar/x509 and signed by `root`, to produce what our CA never
 * would: everything follows the peer profile except what `craft` changes.
 */
async function craft(root: Root, options: Craft = {}): Promise<Uint8Array> {
  const who = identity()
  const publicKey =
    options.publicKey ??
    (await crypto.subtle.importKey('raw', who.publicKey, 'Ed25519', true, ['verify']))
  const san =
    options.san === undefined
      ? [{ type: 'url' as const, value: `hypermesh://${who.peerId}` }]
      : options.san
  const extensions: Extension[] = [
    ...(options.basic === null
      ? []
      : [options.basic ?? new BasicConstraintsExtension(false, undefined, true)]),
    new KeyUsagesExtension(options.usage ?? KeyUsageFlags.digitalSignature, true),
    new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth]),
    await SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
    new AuthorityKeyIdentifierExtension(options.authorityKeyId ?? hex(root.parsed.subjectKeyId!)),
    ...(san === null
      ? []
      : [new SubjectAlternativeNameExtension(san, options.sanCritical ?? true)]),
    ...(options.extra ?? []),
  ]
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: hex(serial()),
      subject: options.subject ?? [],
      issuer: options.issuer ?? root.parsed.subjectDn,
      notBefore: new Date(T0 - 60_000),
      notAfter: new Date(T0 + DAY_MS),
      publicKey,
      signingKey: root.key.toCryptoKey('Ed25519', false, ['sign']) as CryptoKey,
      signingAlgorithm: { name: 'Ed25519' },
      extensions,
    },
    crypto,
  )
  return new Uint8Array(cert.rawData)
}

/**
 * What @peculiar/x509 (the decoder parseCertificate replaced) reads from `der`, in the shape of
 * a ParsedCertificate: the reference of the differential tests below.
 */
function x509View(der: Uint8Array): ParsedCertificate {
  const cert = new X509Certificate(Uint8Array.from(der))
  const isCa = cert.getExtension(BasicConstraintsExtension)?.ca === true
  const uri = cert.getExtension(SubjectAlternativeNameExtension)?.names.items[0]?.value
  const ski = cert.getExtension(SubjectKeyIdentifierExtension)?.keyId
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId
  return {
    der,
    // The TBS exactly as encoded sits behind a getter that the typings mark private.
    tbs: new Uint8Array((cert as unknown as { tbs: ArrayBuffer }).tbs),
    signature: new Uint8Array(cert.signature),
    serialHex: cert.serialNumber,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    subjectPublicKey: new Uint8Array(cert.publicKey.rawData).slice(-32),
    peerId: isCa || uri === undefined ? null : uri.slice(PEER_URI_PREFIX.length),
    isCa,
    subjectKeyId: ski === undefined ? null : Uint8Array.from(Buffer.from(ski, 'hex')),
    authorityKeyId: aki === undefined ? null : Uint8Array.from(Buffer.from(aki, 'hex')),
    issuerDn: cert.issuer,
    subjectDn: cert.subject,
  }
}

const ED25519_ALGORITHM_DER = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70)

/** Tag and shortest-form length, then the parts: one DER element, built by hand. */
function tlv(tag: number, ...parts: (Uint8Array | number[])[]): Uint8Array {
  const body = parts.flatMap((part) => Array.from(part))
  const length = body.length
  const head =
    length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff]
  return Uint8Array.of(tag, ...head, ...body)
}

/**
 * `der` with its issuer Name replaced by `name` (any bytes) and everything else, the signature
 * included, kept: the result parses, or not, on the strength of the name alone.
 */
function withIssuerName(der: Uint8Array, name: Uint8Array): Uint8Array {
  const { tbs, signature } = parseCertificate(der)
  const fields: Uint8Array[] = []
  let pos = tbs[1]! & 0x80 ? 2 + (tbs[1]! & 0x7f) : 2
  while (pos < tbs.length) {
    const first = tbs[pos + 1]!
    const count = first & 0x80 ? first & 0x7f : 0
    let length = count ? 0 : first
    for (let i = 0; i < count; i++) length = length * 256 + tbs[pos + 2 + i]!
    const end = pos + 2 + count + length
    fields.push(tbs.subarray(pos, end))
    pos = end
  }
  fields[3] = name // version, serialNumber, signature, issuer
  return tlv(0x30, tlv(0x30, ...fields), ED25519_ALGORITHM_DER, tlv(0x03, [0], signature))
}

describe('certificates', () => {
  let root: Root
  let alice: ReturnType<typeof identity>
  let aliceDer: Uint8Array

  beforeAll(async () => {
    root = await makeRoot()
    alice = identity()
    aliceDer = issue(root, alice)
  })

  describe('peerIdOfPublicKey', () => {
    it('gives the libp2p peer ID of the key', async () => {
      const key = await generateKeyPair('Ed25519')
      expect(peerIdOfPublicKey(key.publicKey.raw)).toBe(peerIdFromPrivateKey(key).toString())
    })

    it('refuses anything but 32 bytes', () => {
      for (const raw of [new Uint8Array(31), new Uint8Array(33), 'key' as unknown as Uint8Array]) {
        expect(thrown(() => peerIdOfPublicKey(raw))).toMatchObject({
          name: 'InvalidPublicKeyError',
          code: 'ERR_INVALID_PUBLIC_KEY',
        })
      }
    })
  })

  describe('parseCertificate', () => {
    it('reads back what the CA issued, from DER and from PEM', () => {
      const parsed = parseCertificate(aliceDer)
      expect(parsed).toMatchObject({
        der: aliceDer,
        notBefore: T0 - 60_000,
        notAfter: T0 + DAY_MS,
        subjectPublicKey: alice.publicKey,
        peerId: alice.peerId,
        isCa: false,
        authorityKeyId: root.parsed.subjectKeyId,
        issuerDn: 'CN=HyperMesh TrustChain root',
        subjectDn: '',
      })
      expect(parsed.signature).toHaveLength(64)
      expect(hex(aliceDer)).toContain(
        hex(parsed.tbs) + '300506032b6570034100' + hex(parsed.signature),
      )
      expect(parseCertificate(certificateToPem(aliceDer))).toEqual(parsed)
      expect(parseCertificate(certificateToPem(aliceDer).replace(/\n/g, '\r\n'))).toEqual(parsed)
    })

    it('keeps its own copy of the input', () => {
      const input = aliceDer.slice()
      const parsed = parseCertificate(input)
      input.fill(0)
      expect(parsed.der).toEqual(aliceDer)
    })

    it('round-trips any key, serial and validity the CA accepts', async () => {
      const wide = await (async () => {
        const key = generateKeyPairSync('ed25519').privateKey
        const der = await createRootCertificate(key, {
          now: Date.UTC(1999, 0, 1),
          validityDays: 40_000,
        })
        return new CertificateIssuer({ privateKey: key, certificateDer: der })
      })()
      const wideRoot = wide.root
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 1, maxLength: 20 }),
          fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
          fc.integer({ min: 1, max: 400 * DAY_MS }),
          (seed, serialBytes, now, validityMs) => {
            serialBytes[0] = serialBytes[0]! & 0x7f
            fc.pre(serialBytes.some((b) => b !== 0))
            const who = identity(seed)
            const der = wide.issue({
              publicKey: who.publicKey,
              claimedPeerId: who.peerId,
              serial: serialBytes,
              now,
              validityMs,
            })
            const parsed = parseCertificate(der)
            expect(parsed.peerId).toBe(who.peerId)
            expect(parsed.subjectPublicKey).toEqual(who.publicKey)
            expect(parsed.notBefore).toBe(Math.floor((now - 60_000) / 1000) * 1000)
            expect(parsed.notAfter).toBe(Math.floor((now + validityMs) / 1000) * 1000)
            expect(BigInt('0x' + parsed.serialHex)).toBe(BigInt('0x' + hex(serialBytes)))
            verifyCertificateSignature(parsed, wideRoot)
          },
        ),
        { numRuns: 60 },
      )
    })

    it('refuses what is not one DER certificate', () => {
      const pem = certificateToPem(aliceDer)
      for (const input of [
        new Uint8Array(0),
        Uint8Array.of(0x30, 0x00),
        Uint8Array.of(0x30, 0x81, 0x03, 0x02, 0x01, 0x01), // length not in shortest form
        Uint8Array.of(0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00), // BER indefinite length
        Uint8Array.of(...aliceDer, 0), // trailing byte
        Uint8Array.of(...aliceDer, ...aliceDer),
        aliceDer.subarray(0, aliceDer.length - 1),
        new TextEncoder().encode(pem), // PEM must come as a string
        '',
        'hello',
        pem + pem,
        pem.replace('CERTIFICATE', 'PUBLIC KEY'),
        pem.replace(/[A-Za-z0-9]{8}\n/, '!!!!!!!!\n'),
        pem.replace(/[A-Za-z0-9]{4}\n/, 'A===\n'), // '=' inside the base64
        42,
        null,
        undefined,
        aliceDer.buffer,
      ]) {
        expectMalformed(input)
      }
    })

    it('refuses oversized input before decoding it', () => {
      expectMalformed(new Uint8Array(MAX_CERTIFICATE_BYTES + 1))
      expectMalformed(
        '-----BEGIN CERTIFICATE-----\n' + 'A'.repeat(30_000) + '\n-----END CERTIFICATE-----\n',
      )
    })

    it('refuses a certificate that is not v3 or whose serial is not positive', () => {
      const start = hex(aliceDer).indexOf('a003020102')
      const v2 = aliceDer.slice()
      v2[start / 2 + 4] = 1
      expectMalformed(v2)
      const negative = aliceDer.slice()
      negative[start / 2 + 7]! |= 0x80 // first serial byte, after 02 10
      expectMalformed(negative)
    })

    it('refuses a key or a signature that is not Ed25519', async () => {
      const p256 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])
      expectMalformed(await craft(root, { publicKey: p256.publicKey }))
      const x25519 = (await crypto.subtle.generateKey({ name: 'X25519' }, true, [
        'deriveBits',
      ])) as CryptoKeyPair
      expectMalformed(await craft(root, { publicKey: x25519.publicKey }))
      const ecdsaSigned = await X509CertificateGenerator.createSelfSigned(
        {
          name: 'CN=ecdsa',
          keys: p256,
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
          notBefore: new Date(T0),
          notAfter: new Date(T0 + DAY_MS),
          extensions: [new BasicConstraintsExtension(true, undefined, true)],
        },
        crypto,
      )
      expectMalformed(new Uint8Array(ecdsaSigned.rawData))
      // A small-order "key" (the identity point) in an otherwise valid certificate.
      const identityKey = new Uint8Array(32)
      identityKey[0] = 1
      const der = aliceDer.slice()
      der.set(identityKey, hex(der).indexOf(hex(alice.publicKey)) / 2)
      expectMalformed(der)
    })

    it('accepts a crafted certificate of the profile, so the refusals below are specific', async () => {
      const parsed = parseCertificate(await craft(root))
      expect(parsed.isCa).toBe(false)
      verifyCertificateSignature(parsed, root.parsed)
    })

    it('refuses a peer certificate without exactly one critical hypermesh SAN URI', async () => {
      const { peerId } = identity()
      const cases: Craft[] = [
        { san: null },
        { sanCritical: false },
        { san: [] },
        {
          san: [
            { type: 'url', value: `hypermesh://${peerId}` },
            { type: 'url', value: `hypermesh://${peerId}` },
          ],
        },
        {
          san: [
            { type: 'url', value: `hypermesh://${peerId}` },
            { type: 'dns', value: 'example.com' },
          ],
        },
        { san: [{ type: 'dns', value: peerId }] },
        { san: [{ type: 'url', value: `https://${peerId}` }] },
        { san: [{ type: 'url', value: 'hypermesh://' }] },
        { san: [{ type: 'url', value: `hypermesh://${peerId}/x` }] },
        { san: [{ type: 'url', value: `hypermesh://${peerId.replace(/.$/, '0')}` }] },
      ]
      for (const options of cases) expectMalformed(await craft(root, options))
    })

    it('refuses a peer certificate whose subject is not empty', async () => {
      expectMalformed(await craft(root, { subject: 'CN=alice' }))
    })

    it('refuses unknown critical extensions, duplicates and inconsistent CA flags', async () => {
      const nullValue = Uint8Array.of(0x05, 0x00)
      expectMalformed(
        await craft(root, { extra: [new Extension('1.3.6.1.4.1.99999.1', true, nullValue)] }),
      )
      expect(
        parseCertificate(
          await craft(root, { extra: [new Extension('1.3.6.1.4.1.99999.1', false, nullValue)] }),
        ).peerId,
      ).not.toBeNull()
      expectMalformed(await craft(root, { extra: [new ExtendedKeyUsageExtension(['1.2.3.4'])] }))
      expectMalformed(
        await craft(root, { usage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }),
      )
      expectMalformed(
        await craft(root, { basic: new BasicConstraintsExtension(true, undefined, true) }),
      )
    })
  })

  describe('verifyCertificateSignature', () => {
    it('accepts a real issuance and the self-signed root', () => {
      verifyCertificateSignature(parseCertificate(aliceDer), root.parsed)
      verifyCertificateSignature(root.parsed, root.parsed)
    })

    it('refuses a certificate signed by another root, even one with the same name', async () => {
      const other = await makeRoot()
      const foreign = parseCertificate(issue(other))
      expect(thrown(() => verifyCertificateSignature(foreign, root.parsed))).toMatchObject(CHAIN)
      // Same name and AKI copied from our root: only the signature can tell.
      const forged = parseCertificate(
        await craft(other, { authorityKeyId: hex(root.parsed.subjectKeyId!) }),
      )
      expect(forged.authorityKeyId).toEqual(root.parsed.subjectKeyId)
      expect(forged.issuerDn).toBe(root.parsed.subjectDn)
      expect(thrown(() => verifyCertificateSignature(forged, root.parsed))).toMatchObject(CHAIN)
      expect(thrown(() => verifyCertificateSignature(root.parsed, other.parsed))).toMatchObject(
        CHAIN,
      )
    })

    it('refuses a tampered TBS byte', () => {
      const uri = hex(new TextEncoder().encode(`hypermesh://${alice.peerId}`))
      const at = hex(aliceDer).indexOf(uri) / 2 + 'hypermesh://'.length
      const tampered = aliceDer.slice()
      tampered[at + 5] = tampered[at + 5] === 0x41 ? 0x42 : 0x41 // 'A' or 'B': still base58
      const parsed = parseCertificate(tampered)
      expect(parsed.peerId).not.toBe(alice.peerId)
      expect(thrown(() => verifyCertificateSignature(parsed, root.parsed))).toMatchObject(CHAIN)
    })

    it('refuses a wrong AKI, a wrong issuer name and an issuer that is not a CA', async () => {
      const wrongAki = parseCertificate(await craft(root, { authorityKeyId: '00'.repeat(20) }))
      expect(thrown(() => verifyCertificateSignature(wrongAki, root.parsed))).toMatchObject(CHAIN)
      const noAki = { ...parseCertificate(aliceDer), authorityKeyId: null }
      expect(thrown(() => verifyCertificateSignature(noAki, root.parsed))).toMatchObject(CHAIN)
      const wrongName = parseCertificate(await craft(root, { issuer: 'CN=Someone else' }))
      expect(thrown(() => verifyCertificateSignature(wrongName, root.parsed))).toMatchObject(CHAIN)
      const peer = parseCertificate(aliceDer)
      expect(thrown(() => verifyCertificateSignature(peer, peer))).toMatchObject(CHAIN)
    })

    it('serialises its errors with name, code and check', () => {
      const err = thrown(() =>
        verifyCertificateSignature(parseCertificate(aliceDer), parseCertificate(aliceDer)),
      )
      expect(JSON.parse(JSON.stringify(err))).toMatchObject(CHAIN)
    })
  })

  describe('parseCertificate against @peculiar/x509', () => {
    const SWITCH_2050 = Date.UTC(2050, 0, 1)
    const BACKDATE_MS = 60_000

    async function wideIssuer(): Promise<{ der: Uint8Array; issuer: CertificateIssuer }> {
      const key = generateKeyPairSync('ed25519').privateKey
      const der = await createRootCertificate(key, {
        now: Date.UTC(1999, 0, 1),
        validityDays: 40_000,
      })
      return { der, issuer: new CertificateIssuer({ privateKey: key, certificateDer: der }) }
    }

    it('reads the root and many issued certificates as @peculiar/x509 does', async () => {
      expect(root.parsed).toEqual(x509View(root.der))
      const wide = await wideIssuer()
      expect(parseCertificate(wide.der)).toEqual(x509View(wide.der))
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 1, maxLength: 20 }),
          fc.oneof(
            fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
            // notBefore (now − 60 s) and notAfter on either side of the UTCTime/GeneralizedTime switch.
            fc.integer({ min: SWITCH_2050 - 5000, max: SWITCH_2050 + BACKDATE_MS + 5000 }),
          ),
          fc.oneof(fc.integer({ min: 1, max: 400 * DAY_MS }), fc.integer({ min: 1, max: 5000 })),
          (seed, serialBytes, now, validityMs) => {
            serialBytes[0] = serialBytes[0]! & 0x7f
            fc.pre(serialBytes.some((b) => b !== 0))
            const who = identity(seed)
            const der = wide.issuer.issue({
              publicKey: who.publicKey,
              claimedPeerId: who.peerId,
              serial: serialBytes,
              now,
              validityMs,
            })
            expect(parseCertificate(der)).toEqual(x509View(der))
          },
        ),
        { numRuns: 300 },
      )
    })

    it('reads the last UTCTime second and the first GeneralizedTime one as @peculiar/x509 does', async () => {
      const wide = await wideIssuer()
      const cases = [
        { now: SWITCH_2050 - 1000 - DAY_MS, validityMs: DAY_MS, notAfter: SWITCH_2050 - 1000 },
        { now: SWITCH_2050 - DAY_MS, validityMs: DAY_MS, notAfter: SWITCH_2050 },
        {
          now: SWITCH_2050 + BACKDATE_MS - 1000,
          validityMs: DAY_MS,
          notBefore: SWITCH_2050 - 1000,
        },
        { now: SWITCH_2050 + BACKDATE_MS, validityMs: DAY_MS, notBefore: SWITCH_2050 },
      ]
      for (const { now, validityMs, ...expected } of cases) {
        const who = identity()
        const der = wide.issuer.issue({
          publicKey: who.publicKey,
          claimedPeerId: who.peerId,
          serial: serial(),
          now,
          validityMs,
        })
        const parsed = parseCertificate(der)
        expect(parsed).toMatchObject(expected)
        expect(parsed).toEqual(x509View(der))
      }
    })

    it('renders any root name as @peculiar/x509 does, in the root and in what it issues', async () => {
      const tricky = fc.constantFrom(...'#, +"\\<>;=\'()-./:?AZaz09éü€✓', '😀')
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: tricky, minLength: 1, maxLength: 24 }),
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
          ),
          async (name) => {
            // @peculiar/x509 (which builds the root) reads a leading '#' as hex DER.
            fc.pre(name.length <= 64 && !/\p{Cc}/u.test(name) && !name.startsWith('#'))
            const key = generateKeyPairSync('ed25519').privateKey
            const der = await createRootCertificate(key, { now: T0, name })
            const parsed = parseCertificate(der)
            expect(parsed).toEqual(x509View(der))
            const issued = new CertificateIssuer({ privateKey: key, certificateDer: der }).issue({
              ...identityRequest(),
              now: T0,
              validityMs: DAY_MS,
            })
            expect(parseCertificate(issued)).toEqual(x509View(issued))
            verifyCertificateSignature(parseCertificate(issued), parsed)
          },
        ),
        { numRuns: 60 },
      )
    })

    it('renders DNs of every string type, escape and multi-valued RDN as @peculiar/x509 does', async () => {
      const names: JsonNameParams[] = [
        [{ CN: ['alice'], O: ['HyperMesh'] }, { C: ['FR'] }],
        [{ CN: [{ bmpString: 'Zürich ✓' }] }, { O: [{ universalString: 'Ünïcode' }] }],
        [{ OU: [{ utf8String: 'a,b+c;d<e>f"g\\h' }] }, { L: [{ printableString: 'A-Z (x)' }] }],
        [{ E: ['alice@example.org'] }, { DC: ['example'] }, { DC: ['org'] }],
        [{ '1.2.3.4': ['#0101ff'] }, { '2.5.4.99': ['an unknown type'] }, { ST: [''] }],
        [{ CN: ['two\r\nbreaks\r\nand\ta tab'] }, { SN: [' spaces around '] }],
        [{ T: [{ utf8String: '#not hex' }] }, { O: [{ printableString: '#' }] }],
        [{ G: ['😀 beyond the BMP'] }, { I: ['ÿ'] }],
      ]
      for (const json of names) {
        const der = await craft(root, { issuer: new Name(json) })
        const parsed = parseCertificate(der)
        expect(parsed).toEqual(x509View(der))
        expect(thrown(() => verifyCertificateSignature(parsed, root.parsed))).toMatchObject(CHAIN)
      }
    })

    it('renders hand-built Names byte for byte as @peculiar/x509 does', () => {
      const oid = (...arcs: number[]) => tlv(0x06, arcs)
      const attributeType = fc.constantFrom(
        ...[0x03, 0x04, 0x06, 0x07, 0x08, 0x0a, 0x0b, 0x0c, 0x2a, 0x2b, 0x63].map((arc) =>
          oid(0x55, 0x04, arc),
        ),
        oid(0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19), // DC
        oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01), // E
        oid(0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x07), // 1.3.6.1.4.1.99999.7
        oid(0x88, 0x37, 0x03), // 2.999.3
      )
      const specials = fc.constantFrom(...' #,+"\\<>;=\r\n\tAz09', '\u00e9', '\u00ff')
      const octets = fc.oneof(
        fc.uint8Array({ maxLength: 12 }),
        fc.string({ unit: specials, maxLength: 8 }).map((s) => Buffer.from(s, 'latin1')),
        fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => Buffer.from(s, 'utf8')),
      )
      const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
      const attributeValue = fc.oneof(
        // PrintableString, TeletexString, IA5String, UTF8String (valid UTF-8 or not)
        fc.tuple(fc.constantFrom(0x13, 0x14, 0x16, 0x0c), octets).map(([tag, b]) => tlv(tag, b)),
        codeUnits.map((units) =>
          tlv(
            0x1e,
            units.flatMap((u) => [u >> 8, u & 0xff]),
          ),
        ),
        codeUnits.map((units) =>
          tlv(
            0x1c,
            units.flatMap((u) => [0, 0, u >> 8, u & 0xff]),
          ),
        ),
        fc.constantFrom(
          tlv(0x05),
          tlv(0x01, [0xff]),
          tlv(0x02, [0x05]),
          tlv(0x04, [0xaa, 0xbb]),
          tlv(0x12, [0x31, 0x20, 0x32]),
          tlv(0x1a, [0x41]),
          tlv(0x30, tlv(0x02, [0x01])),
        ),
      )
      const name = fc
        .array(fc.array(fc.tuple(attributeType, attributeValue), { minLength: 1, maxLength: 3 }), {
          maxLength: 4,
        })
        .map((rdns) =>
          tlv(0x30, ...rdns.map((rdn) => tlv(0x31, ...rdn.map(([t, v]) => tlv(0x30, t, v))))),
        )
      fc.assert(
        fc.property(name, (issuerName) => {
          const der = withIssuerName(aliceDer, issuerName)
          expect(parseCertificate(der)).toEqual(x509View(der))
        }),
        { numRuns: 600 },
      )
    })

    it('accepts a bit flip or a splice only if @peculiar/x509 reads the same, and never chains', () => {
      let accepted = 0
      const check = (mutated: Uint8Array) => {
        let parsed: ParsedCertificate
        try {
          parsed = parseCertificate(mutated)
        } catch (err) {
          expect(err).toMatchObject(MALFORMED)
          return
        }
        accepted++
        expect(parsed).toEqual(x509View(mutated))
        expect(thrown(() => verifyCertificateSignature(parsed, root.parsed))).toMatchObject(CHAIN)
      }
      for (const der of [aliceDer, root.der]) {
        for (let bit = 0; bit < der.length * 8; bit++) {
          const flipped = der.slice()
          flipped[bit >> 3]! ^= 1 << (bit & 7)
          check(flipped)
        }
      }
      fc.assert(
        fc.property(
          fc.constantFrom(aliceDer, root.der),
          fc.nat({ max: 600 }),
          fc.nat({ max: 16 }),
          fc.uint8Array({ maxLength: 16 }),
          (der, at, removed, inserted) => {
            const mutated = Uint8Array.of(
              ...der.subarray(0, at),
              ...inserted,
              ...der.subarray(at + removed),
            )
            // A splice that leaves the bytes as they were (e.g. removing past the end) mutates
            // nothing: the certificate is the genuine one, which parses and chains.
            fc.pre(at <= der.length && !Buffer.from(mutated).equals(Buffer.from(der)))
            check(mutated)
          },
        ),
        { numRuns: 500 },
      )
      // Flips in the signature, the keys, the serials and the peer ID parse.
      expect(accepted).toBeGreaterThan(2 * 64 * 8)
    })
  })

  describe('fuzzing parseCertificate', () => {
    /** Parse; if it parses, the chain check must then fail. Anything else fails the test. */
    function parseOrChainFailure(input: Uint8Array): 'malformed' | 'chain' {
      let parsed: ParsedCertificate
      try {
        parsed = parseCertificate(input)
      } catch (err) {
        expect(err).toMatchObject(MALFORMED)
        return 'malformed'
      }
      expect(thrown(() => verifyCertificateSignature(parsed, root.parsed))).toMatchObject(CHAIN)
      return 'chain'
    }

    it('only ever throws MalformedCertificateError on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
          expectMalformed(bytes)
        }),
        { numRuns: 2000 },
      )
      fc.assert(
        fc.property(fc.string({ maxLength: 3000 }), (text) => {
          expectMalformed(`-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----\n`)
        }),
        { numRuns: 300 },
      )
    })

    it('only ever throws MalformedCertificateError on a truncated certificate', () => {
      for (const der of [aliceDer, root.der]) {
        for (let length = 0; length < der.length; length++) expectMalformed(der.subarray(0, length))
      }
    })

    it('refuses every single-bit flip, at parse or at the chain check', () => {
      const outcomes = { malformed: 0, chain: 0 }
      for (let bit = 0; bit < aliceDer.length * 8; bit++) {
        const flipped = aliceDer.slice()
        flipped[bit >> 3]! ^= 1 << (bit & 7)
        outcomes[parseOrChainFailure(flipped)]++
      }
      // Flips in the signature, the key, the serial or the peer ID still parse.
      expect(outcomes.malformed).toBeGreaterThan(0)
      expect(outcomes.chain).toBeGreaterThanOrEqual(64 * 8)
    })

    it('refuses random splices and overwrites of a valid certificate', () => {
      fc.assert(
        fc.property(
          fc.nat({ max: aliceDer.length }),
          fc.nat({ max: 16 }),
          fc.uint8Array({ maxLength: 16 }),
          (at, removed, inserted) => {
            fc.pre(removed > 0 || inserted.length > 0)
            const mutated = Uint8Array.of(
              ...aliceDer.subarray(0, at),
              ...inserted,
              ...aliceDer.subarray(at + removed),
            )
            fc.pre(hex(mutated) !== hex(aliceDer))
            parseOrChainFailure(mutated)
          },
        ),
        { numRuns: 1000 },
      )
    })
  })
})
