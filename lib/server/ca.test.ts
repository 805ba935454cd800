import 'reflect-metadata'
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509'
import { ed25519 } from '@noble/curves/ed25519.js'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import { createHash, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCertificate, verifyCertificateSignature } from '../trustchain/certificate'
import {
  BACKDATE_MS,
  CertificateIssuer,
  DEFAULT_ROOT_NAME,
  certificateToPem,
  createRootCertificate,
  loadOrCreateRootKey,
  type IssueRequest,
} from './ca'

/** A fixed epoch: nothing here reads the wall clock. */
const T0 = Date.UTC(2026, 4, 20, 9, 30, 15, 250)
const DAY_MS = 86_400_000
const crypto = webcrypto as Crypto

function hex(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex')
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

function identity(seed: Uint8Array = ed25519.utils.randomSecretKey()) {
  const publicKey = ed25519.getPublicKey(seed)
  return { publicKey, peerId: peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString() }
}

function serial(length = 16): Uint8Array {
  const bytes = webcrypto.getRandomValues(new Uint8Array(length))
  bytes[0] = (bytes[0]! & 0x7f) | 0x01
  return bytes
}

function request(overrides: Partial<IssueRequest> = {}): IssueRequest {
  const alice = identity()
  return {
    publicKey: alice.publicKey,
    claimedPeerId: alice.peerId,
    serial: serial(),
    now: T0,
    validityMs: DAY_MS,
    ...overrides,
  }
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000
}

function sha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex')
}

function openssl(args: string[]) {
  return spawnSync('openssl', args, { encoding: 'utf8' })
}

describe('the CA', () => {
  let dir: string
  let rootKey: KeyObject
  let rootDer: Uint8Array<ArrayBuffer>
  let issuer: CertificateIssuer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hypermesh-ca-'))
    rootKey = await loadOrCreateRootKey(join(dir, 'ca', 'root.key'))
    rootDer = await createRootCertificate(rootKey, { now: T0 })
    issuer = new CertificateIssuer({ privateKey: rootKey, certificateDer: rootDer })
    await writeFile(join(dir, 'root.pem'), certificateToPem(rootDer))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** `openssl verify` of one certificate against the root, at `atSeconds` if given. */
  async function opensslVerify(der: Uint8Array, name: string, atSeconds?: number) {
    const path = join(dir, `${name}.pem`)
    await writeFile(path, certificateToPem(der))
    const at = atSeconds === undefined ? [] : ['-attime', String(atSeconds)]
    const rootPath = join(dir, 'root.pem')
    return openssl([
      'verify',
      '-x509_strict',
      '-purpose',
      'sslclient',
      ...at,
      '-CAfile',
      rootPath,
      path,
    ])
  }

  describe('root key', () => {
    it('is created with mode 0600 and loaded again unchanged', async () => {
      const path = join(dir, 'ca', 'root.key')
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
      expect(rootKey.asymmetricKeyType).toBe('ed25519')
      const again = await loadOrCreateRootKey(path)
      expect(again.export({ format: 'der', type: 'pkcs8' })).toEqual(
        rootKey.export({ format: 'der', type: 'pkcs8' }),
      )
    })

    it('refuses a key file that is not an Ed25519 private key, without quoting it', async () => {
      const ecPath = join(dir, 'ec.key')
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      await writeFile(ecPath, ec.export({ format: 'pem', type: 'pkcs8' }))
      expect(await rejection(loadOrCreateRootKey(ecPath))).toMatchObject({
        name: 'InvalidRootError',
        code: 'ERR_INVALID_ROOT',
      })
      const junkPath = join(dir, 'junk.key')
      await writeFile(junkPath, 'SECRET-LOOKING-CONTENT')
      const err = await rejection(loadOrCreateRootKey(junkPath))
      expect(err).toMatchObject({ name: 'InvalidRootError', code: 'ERR_INVALID_ROOT' })
      expect(String((err as Error).message)).not.toContain('SECRET')
    })
  })

  describe('root certificate', () => {
    it('follows the root profile, read by @peculiar/x509 and parseCertificate', async () => {
      const cert = new X509Certificate(rootDer)
      const rawKey = parseCertificate(rootDer).subjectPublicKey
      expect(cert.subject).toBe(`CN=${DEFAULT_ROOT_NAME}`)
      expect(cert.issuer).toBe(cert.subject)
      expect(cert.signatureAlgorithm.name).toBe('Ed25519')
      expect(cert.publicKey.algorithm.name).toBe('Ed25519')
      expect(cert.notBefore.getTime()).toBe(floorToSecond(T0 - BACKDATE_MS))
      expect(cert.notAfter.getTime()).toBe(floorToSecond(T0 + 3650 * DAY_MS))
      expect(parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80)
      expect(cert.serialNumber.length).toBeLessThanOrEqual(40)

      const basic = cert.getExtension(BasicConstraintsExtension)
      expect([basic?.critical, basic?.ca, basic?.pathLength]).toEqual([true, true, 0])
      const usage = cert.getExtension(KeyUsagesExtension)
      expect([usage?.critical, usage?.usages]).toEqual([
        true,
        KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
      ])
      const ski = cert.getExtension(SubjectKeyIdentifierExtension)
      expect(ski?.keyId).toBe(sha1(rawKey))
      expect(ski?.keyId).toBe(hex(await cert.publicKey.getKeyIdentifier(crypto)))
      expect(cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(ski?.keyId)
      expect(cert.extensions).toHaveLength(4)
      expect(await cert.verify({ signatureOnly: true }, crypto)).toBe(true)

      const parsed = parseCertificate(rootDer)
      expect(parsed).toMatchObject({
        isCa: true,
        peerId: null,
        serialHex: cert.serialNumber,
        issuerDn: cert.issuer,
        subjectDn: cert.subject,
        notBefore: cert.notBefore.getTime(),
        notAfter: cert.notAfter.getTime(),
      })
      verifyCertificateSignature(parsed, parsed)
    })

    it('takes a name and a validity, and refuses bad ones', async () => {
      const der = await createRootCertificate(rootKey, {
        name: 'Test, Inc. = root+1',
        now: T0,
        validityDays: 30,
      })
      const cert = new X509Certificate(der)
      expect(cert.subjectName.getField('CN')).toEqual(['Test, Inc. = root+1'])
      expect(cert.notAfter.getTime()).toBe(floorToSecond(T0 + 30 * DAY_MS))
      for (const init of [
        { name: '', now: T0 },
        { name: 'x'.repeat(65), now: T0 },
        { name: 'bad\nname', now: T0 },
        { now: T0, validityDays: 0 },
        { now: Number.NaN },
        { now: Date.UTC(1949, 0, 1) },
      ]) {
        expect(await rejection(createRootCertificate(rootKey, init))).toMatchObject({
          code: 'ERR_INVALID_ISSUER_OPTION',
        })
      }
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      expect(await rejection(createRootCertificate(ec, { now: T0 }))).toMatchObject({
        code: 'ERR_INVALID_ROOT',
      })
    })

    it('is accepted by openssl as a strict self-signed CA', async () => {
      const result = openssl([
        'verify',
        '-x509_strict',
        '-CAfile',
        join(dir, 'root.pem'),
        join(dir, 'root.pem'),
      ])
      expect(result.status, result.stderr).toBe(0)
      expect(result.stdout).toContain('OK')
    })
  })

  describe('peer certificates', () => {
    it('follow the peer profile, field by field, in @peculiar/x509 and parseCertificate', async () => {
      const root = new X509Certificate(rootDer)
      for (let i = 0; i < 8; i++) {
        const req = request({ serial: serial(1 + i * 2), validityMs: (i + 1) * 3_600_000 })
        const der = issuer.issue(req)
        const cert = new X509Certificate(der)
        expect(cert.subject).toBe('')
        expect(cert.issuer).toBe(root.subject)
        expect(cert.serialNumber).toBe(hex(req.serial).replace(/^(00)+(?=[0-7])/, ''))
        expect(cert.signatureAlgorithm.name).toBe('Ed25519')
        expect(cert.publicKey.algorithm.name).toBe('Ed25519')
        expect(new Uint8Array(cert.publicKey.rawData).subarray(12)).toEqual(req.publicKey)
        expect(cert.notBefore.getTime()).toBe(floorToSecond(T0 - BACKDATE_MS))
        expect(cert.notAfter.getTime()).toBe(floorToSecond(T0 + req.validityMs))

        expect(cert.extensions.map((e) => [e.type, e.critical])).toEqual([
          ['2.5.29.19', true],
          ['2.5.29.15', true],
          ['2.5.29.37', false],
          ['2.5.29.14', false],
          ['2.5.29.35', false],
          ['2.5.29.17', true],
        ])
        expect(cert.getExtension(BasicConstraintsExtension)?.ca).toBe(false)
        expect(cert.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.digitalSignature)
        expect(cert.getExtension(ExtendedKeyUsageExtension)?.usages).toEqual([
          ExtendedKeyUsage.clientAuth,
        ])
        expect(cert.getExtension(SubjectKeyIdentifierExtension)?.keyId).toBe(sha1(req.publicKey))
        expect(cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(
          root.getExtension(SubjectKeyIdentifierExtension)?.keyId,
        )
        expect(cert.getExtension(SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([
          { type: 'url', value: `hypermesh://${req.claimedPeerId}` },
        ])
        expect(await cert.verify({ publicKey: root.publicKey, signatureOnly: true }, crypto)).toBe(
          true,
        )

        const parsed = parseCertificate(der)
        const parsedRoot = parseCertificate(rootDer)
        expect(parsed).toMatchObject({
          der,
          serialHex: cert.serialNumber,
          notBefore: cert.notBefore.getTime(),
          notAfter: cert.notAfter.getTime(),
          subjectPublicKey: req.publicKey,
          peerId: req.claimedPeerId,
          isCa: false,
          subjectKeyId: new Uint8Array(createHash('sha1').update(req.publicKey).digest()),
          authorityKeyId: parsedRoot.subjectKeyId,
          issuerDn: root.subject,
          subjectDn: '',
        })
        verifyCertificateSignature(parsed, parsedRoot)
      }
    })

    it('are accepted by openssl verify -x509_strict -purpose sslclient', async () => {
      for (let i = 0; i < 4; i++) {
        const der = issuer.issue(request())
        const result = await opensslVerify(der, `peer-${i}`, Math.floor(T0 / 1000))
        expect(result.status, result.stdout + result.stderr).toBe(0)
        expect(result.stdout).toContain(': OK')
      }
    })

    it('show the SAN URI and the critical flags in openssl x509 -text', async () => {
      const req = request()
      const path = join(dir, 'text.pem')
      await writeFile(path, certificateToPem(issuer.issue(req)))
      const result = openssl(['x509', '-in', path, '-noout', '-text'])
      expect(result.status, result.stderr).toBe(0)
      const text = result.stdout
      expect(text).toContain('Version: 3 (0x2)')
      expect(text).toMatch(/Signature Algorithm: ED25519/)
      expect(text).toMatch(/X509v3 Subject Alternative Name: critical\s+URI:hypermesh:\/\/(\S+)/)
      expect(text).toContain(`URI:hypermesh://${req.claimedPeerId}\n`)
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/)
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/)
      expect(text).toMatch(/X509v3 Extended Key Usage: ?\s+TLS Web Client Authentication\n/)
      expect(text).toMatch(/X509v3 Subject Key Identifier: ?\n/)
      expect(text).toMatch(/X509v3 Authority Key Identifier: ?\n/)
      expect(text).toMatch(/Subject: ?\n/)
    })

    it('are byte for byte what @peculiar/x509 builds for the same fields', async () => {
      const root = new X509Certificate(rootDer)
      const req = request()
      const notBefore = new Date(floorToSecond(req.now - BACKDATE_MS))
      const notAfter = new Date(floorToSecond(req.now + req.validityMs))
      const publicKey = await crypto.subtle.importKey(
        'raw',
        req.publicKey.slice(),
        'Ed25519',
        true,
        ['verify'],
      )
      const reference = await X509CertificateGenerator.create(
        {
          serialNumber: hex(req.serial),
          subject: [],
          issuer: root.subjectName,
          notBefore,
          notAfter,
          publicKey,
          signingKey: rootKey.toCryptoKey('Ed25519', false, ['sign']) as CryptoKey,
          signingAlgorithm: { name: 'Ed25519' },
          extensions: [
            new BasicConstraintsExtension(false, undefined, true),
            new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
            new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth], false),
            await SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
            await AuthorityKeyIdentifierExtension.create(root, false, crypto),
            new SubjectAlternativeNameExtension(
              [{ type: 'url', value: `hypermesh://${req.claimedPeerId}` }],
              true,
            ),
          ],
        },
        crypto,
      )
      const referenceDer = new Uint8Array(reference.rawData)
      const ours = issuer.issue(req)

      // Semantically equal: every parsed field and every extension.
      const { der: _a, tbs: _b, signature: _c, ...oursFields } = parseCertificate(ours)
      const { der: _d, tbs: _e, signature: _f, ...referenceFields } = parseCertificate(referenceDer)
      expect(oursFields).toEqual(referenceFields)
      const extensions = (der: Uint8Array<ArrayBuffer>) =>
        new X509Certificate(der).extensions.map((e) => [e.type, e.critical, hex(e.value)])
      expect(extensions(ours)).toEqual(extensions(referenceDer))
      // And in fact the same DER: Ed25519 is deterministic, so even the signatures agree.
      expect(hex(ours)).toBe(hex(referenceDer))
    })

    it('switch from UTCTime to GeneralizedTime at 2050', async () => {
      const late = Date.UTC(2049, 0, 1)
      const lateRootDer = await createRootCertificate(rootKey, { now: late })
      const lateIssuer = new CertificateIssuer({ privateKey: rootKey, certificateDer: lateRootDer })
      await writeFile(join(dir, 'late-root.pem'), certificateToPem(lateRootDer))
      const ascii = (tag: number, text: string) =>
        hex(Uint8Array.of(tag, text.length, ...Buffer.from(text, 'ascii')))
      const cases = [
        // notBefore in 2049, notAfter in 2050.
        {
          now: Date.UTC(2049, 11, 31, 23, 59, 45),
          validityMs: 3_600_000,
          nb: [0x17, '491231235845Z'],
          na: [0x18, '20500101005945Z'],
        },
        // notBefore one second before 2050.
        {
          now: Date.UTC(2050, 0, 1, 0, 0, 59),
          validityMs: 1_000,
          nb: [0x17, '491231235959Z'],
          na: [0x18, '20500101000100Z'],
        },
        // notBefore exactly at 2050.
        {
          now: Date.UTC(2050, 0, 1, 0, 1, 0, 999),
          validityMs: DAY_MS,
          nb: [0x18, '20500101000000Z'],
          na: [0x18, '20500102000100Z'],
        },
        // Both in 2049.
        {
          now: Date.UTC(2049, 5, 1),
          validityMs: DAY_MS,
          nb: [0x17, '490531235900Z'],
          na: [0x17, '490602000000Z'],
        },
      ] as const
      for (const { now, validityMs, nb, na } of cases) {
        const der = lateIssuer.issue(request({ now, validityMs }))
        expect(hex(der)).toContain(
          hex(Uint8Array.of(0x30, 2 + nb[1].length + 2 + na[1].length)) +
            ascii(nb[0], nb[1]) +
            ascii(na[0], na[1]),
        )
        const parsed = parseCertificate(der)
        const cert = new X509Certificate(der)
        expect(parsed.notBefore).toBe(floorToSecond(now - BACKDATE_MS))
        expect(parsed.notAfter).toBe(floorToSecond(now + validityMs))
        expect([cert.notBefore.getTime(), cert.notAfter.getTime()]).toEqual([
          parsed.notBefore,
          parsed.notAfter,
        ])
        const result = openssl([
          'verify',
          '-x509_strict',
          '-purpose',
          'sslclient',
          '-attime',
          String(Math.floor(now / 1000)),
          '-CAfile',
          join(dir, 'late-root.pem'),
          await writeAndPath(der, 'late'),
        ])
        expect(result.status, result.stdout + result.stderr).toBe(0)
      }
    })

    async function writeAndPath(der: Uint8Array, name: string): Promise<string> {
      const path = join(dir, `${name}.pem`)
      await writeFile(path, certificateToPem(der))
      return path
    }

    it('are never issued for a claimed peer ID that is not the key’s', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          (seedA, seedB) => {
            fc.pre(hex(seedA) !== hex(seedB))
            const alice = identity(seedA)
            const mallory = identity(seedB)
            const err = thrown(() =>
              issuer.issue(request({ publicKey: alice.publicKey, claimedPeerId: mallory.peerId })),
            )
            expect(err).toMatchObject({
              name: 'PeerIdMismatchError',
              code: 'ERR_PEER_ID_MISMATCH',
              check: 'peer-id',
              expected: alice.peerId,
            })
          },
        ),
        { numRuns: 50 },
      )
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string(), (seed, claim) => {
          const alice = identity(seed)
          fc.pre(claim !== alice.peerId)
          expect(
            thrown(() =>
              issuer.issue(request({ publicKey: alice.publicKey, claimedPeerId: claim })),
            ),
          ).toMatchObject({ code: 'ERR_PEER_ID_MISMATCH' })
        }),
        { numRuns: 50 },
      )
    })

    it('are refused for another encoding of the right peer ID', () => {
      const alice = identity()
      const peerId = peerIdFromPublicKey(publicKeyFromRaw(alice.publicKey))
      for (const claim of [
        peerId.toCID().toString(),
        ` ${alice.peerId}`,
        alice.peerId.toLowerCase(),
      ]) {
        expect(
          thrown(() => issuer.issue(request({ publicKey: alice.publicKey, claimedPeerId: claim }))),
        ).toMatchObject({ code: 'ERR_PEER_ID_MISMATCH' })
      }
    })

    it('are refused for a key of the wrong length or not on the curve', () => {
      const alice = identity()
      // y = 2^255 - 1 is not canonical (>= p); y = 2 has no x on the curve; the identity point
      // (y = 1) has small order.
      const notCanonical = new Uint8Array(32).fill(0xff)
      notCanonical[31] = 0x7f
      const offCurve = new Uint8Array(32)
      offCurve[0] = 2
      const identityPoint = new Uint8Array(32)
      identityPoint[0] = 1
      for (const publicKey of [
        new Uint8Array(0),
        alice.publicKey.subarray(0, 31),
        Uint8Array.of(...alice.publicKey, 0),
        notCanonical,
        offCurve,
        identityPoint,
        'not bytes' as unknown as Uint8Array,
      ]) {
        expect(
          thrown(() => issuer.issue(request({ publicKey, claimedPeerId: alice.peerId }))),
        ).toMatchObject({
          name: 'InvalidPublicKeyError',
          code: 'ERR_INVALID_PUBLIC_KEY',
        })
      }
      // Random 32-byte strings: about half are not curve points, and all of those are refused.
      let refused = 0
      for (let i = 0; i < 64; i++) {
        const publicKey = webcrypto.getRandomValues(new Uint8Array(32))
        if (ed25519.utils.isValidPublicKey(publicKey)) continue
        refused++
        expect(thrown(() => issuer.issue(request({ publicKey })))).toMatchObject({
          code: 'ERR_INVALID_PUBLIC_KEY',
        })
      }
      expect(refused).toBeGreaterThan(0)
    })

    it('take a minimal positive serial and refuse bad ones', () => {
      const padded = issuer.issue(request({ serial: Uint8Array.of(0, 0, 5) }))
      expect(parseCertificate(padded).serialHex).toBe('05')
      const keepsSignZero = issuer.issue(request({ serial: Uint8Array.of(0, 0x80, 1) }))
      expect(parseCertificate(keepsSignZero).serialHex).toBe('8001')
      expect(
        parseCertificate(issuer.issue(request({ serial: serial(20) }))).serialHex,
      ).toHaveLength(40)
      for (const bad of [
        new Uint8Array(0),
        serial(21),
        Uint8Array.of(0x80, 1),
        Uint8Array.of(0, 0),
      ]) {
        expect(thrown(() => issuer.issue(request({ serial: bad })))).toMatchObject({
          code: 'ERR_INVALID_ISSUER_OPTION',
        })
      }
    })

    it('refuse bad times and a validity beyond the root', () => {
      for (const overrides of [
        { validityMs: 0 },
        { validityMs: Number.POSITIVE_INFINITY },
        { now: Number.NaN },
        { now: Date.UTC(1949, 11, 31) },
        { validityMs: 3651 * DAY_MS },
      ]) {
        expect(thrown(() => issuer.issue(request(overrides)))).toMatchObject({
          code: 'ERR_INVALID_ISSUER_OPTION',
        })
      }
    })

    it('round-trip through certificateToPem', () => {
      const der = issuer.issue(request())
      const pem = certificateToPem(der)
      expect(pem).toMatch(
        /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
      )
      expect(parseCertificate(pem)).toEqual(parseCertificate(der))
      expect(new Uint8Array(new X509Certificate(pem).rawData)).toEqual(der)
    })
  })

  describe('CertificateIssuer', () => {
    it('refuses a key that is not the root certificate’s, and a root that is not a CA', async () => {
      const other = generateKeyPairSync('ed25519').privateKey
      expect(
        thrown(() => new CertificateIssuer({ privateKey: other, certificateDer: rootDer })),
      ).toMatchObject({
        name: 'InvalidRootError',
        code: 'ERR_INVALID_ROOT',
      })
      const peerDer = issuer.issue(request())
      expect(
        thrown(() => new CertificateIssuer({ privateKey: rootKey, certificateDer: peerDer })),
      ).toMatchObject({
        code: 'ERR_INVALID_ROOT',
      })
      expect(
        thrown(
          () => new CertificateIssuer({ privateKey: rootKey, certificateDer: new Uint8Array(8) }),
        ),
      ).toMatchObject({ code: 'ERR_CERTIFICATE_FORMAT' })
    })
  })
})
