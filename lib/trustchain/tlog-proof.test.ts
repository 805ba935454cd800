import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { MalformedCheckpointError, formatCheckpoint, parseCheckpoint } from './checkpoint'
import {
  MalformedNoteError,
  encodeBase64,
  formatVerifierKey,
  openNote,
  parseVerifierKey,
  signNote,
  type NoteSigner,
} from './note'
import {
  MalformedTlogProofError,
  TLOG_PROOF_HEADER,
  TLOG_PROOF_MAX_BYTES,
  TLOG_PROOF_MAX_HASHES,
  formatTlogProof,
  parseTlogProof,
  type TlogProof,
} from './tlog-proof'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

function signer(name: string, fill: number): NoteSigner {
  const seed = new Uint8Array(32).fill(fill)
  return { name, publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) }
}

// The proof lines of the c2sp.org/tlog-proof example. Its signature lines are elided in the spec,
// so its checkpoint body is re-signed here with a test key of the same name.
const SPEC_PREFIX =
  'c2sp.org/tlog-proof@v1\n' +
  'extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n' +
  'index 73894\n' +
  'gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n' +
  'B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n' +
  'EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n' +
  'RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n' +
  'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n' +
  '\n'
const SPEC_BODY = 'example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n'

// A production checkpoint of sum.golang.org with a second, unknown cosignature.
const SUMDB_NOTE =
  'go.sum database tree\n15067302\ngJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=\n\n' +
  '— sum.golang.org Az3grp1rvWOs5NKlr/xR4GLN/CDyzzakmt1o61uSxYKpK1SerqOP2ClbX/peKUZjYnyomH5Xz7GZG3TpB7OeKn4E2ww=\n' +
  '— test.example.com qTGhC/xIPQ0AXKHK6Y+9ypRfuvMZWPjRXM8NiOg5M1WREn07VQXyuIXM3NRNav3ieVFLUqDRK77PWDmL6w8w84UqeAw=\n'

const fancylog = signer('example.com/fancylog', 1)
const witness = signer('witness1.example', 2)
let specNote: string
let cosignedNote: string
let notes: string[]

beforeAll(async () => {
  specNote = await signNote(SPEC_BODY, [fancylog])
  cosignedNote = await signNote(
    formatCheckpoint({
      origin: 'hypermesh.example/log',
      size: 8,
      rootHash: new Uint8Array(32).fill(3),
      extensions: ['an extension'],
    }),
    [signer('hypermesh.example/log', 3), witness],
  )
  notes = [specNote, cosignedNote, SUMDB_NOTE]
})

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('parseTlogProof', () => {
  it('parses the spec example', () => {
    const proof = parseTlogProof(SPEC_PREFIX + specNote)
    expect(proof.index).toBe(73894)
    expect(proof.hashes).toHaveLength(5)
    expect(encodeBase64(proof.hashes[0]!)).toBe('gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=')
    expect(new TextDecoder().decode(proof.extra!.subarray(0, 30))).toBe(
      'age-v1.2.1-darwin-arm64.tar.gz',
    )
    expect(proof.checkpoint).toBe(specNote)
    expect(formatTlogProof(proof)).toBe(SPEC_PREFIX + specNote)

    // The checkpoint comes out verbatim, ready to be opened and parsed.
    const key = parseVerifierKey(formatVerifierKey(fancylog.name, fancylog.publicKey))
    const checkpoint = parseCheckpoint(openNote(proof.checkpoint, [key]).text)
    expect(checkpoint).toMatchObject({ origin: 'example.com/fancylog', size: 109482 })
  })

  it('parses a proof without extra data or hashes', () => {
    const text = `${TLOG_PROOF_HEADER}\nindex 0\n\n${SUMDB_NOTE}`
    expect(parseTlogProof(text)).toEqual({ index: 0, hashes: [], checkpoint: SUMDB_NOTE })
    expect('extra' in parseTlogProof(text)).toBe(false)
  })

  it('treats "extra " with nothing after it as empty extra data', () => {
    const text = `${TLOG_PROOF_HEADER}\nextra \nindex 3\n\n${SUMDB_NOTE}`
    expect(parseTlogProof(text).extra).toEqual(new Uint8Array(0))
    expect(formatTlogProof(parseTlogProof(text))).toBe(text)
  })

  it('accepts 64 hashes and refuses 65', () => {
    const line = `${encodeBase64(new Uint8Array(32))}\n`
    const ok = `${TLOG_PROOF_HEADER}\nindex 1\n${line.repeat(64)}\n${SUMDB_NOTE}`
    expect(parseTlogProof(ok).hashes).toHaveLength(TLOG_PROOF_MAX_HASHES)
    const tooMany = `${TLOG_PROOF_HEADER}\nindex 1\n${line.repeat(65)}\n${SUMDB_NOTE}`
    expect(thrown(() => parseTlogProof(tooMany))).toBeInstanceOf(MalformedTlogProofError)
  })

  it.each<[string, (note: string) => string]>([
    ['an empty text', () => ''],
    ['a wrong header', (n) => `wrong-header\nindex 0\n\n${n}`],
    ['a header of another version', (n) => `c2sp.org/tlog-proof@v2\nindex 0\n\n${n}`],
    ['only a header', () => `${TLOG_PROOF_HEADER}\n`],
    ['extra data that is not base64', (n) => `${TLOG_PROOF_HEADER}\nextra !!no!!\nindex 0\n\n${n}`],
    ['unpadded extra data', (n) => `${TLOG_PROOF_HEADER}\nextra YQ\nindex 0\n\n${n}`],
    ['two extra lines', (n) => `${TLOG_PROOF_HEADER}\nextra YQ==\nextra YQ==\nindex 0\n\n${n}`],
    ['extra after the index', (n) => `${TLOG_PROOF_HEADER}\nindex 0\nextra YQ==\n\n${n}`],
    ['no index line', (n) => `${TLOG_PROOF_HEADER}\n\n\n${n}`],
    ['an index that is not a number', (n) => `${TLOG_PROOF_HEADER}\nindex x\n\n${n}`],
    ['a negative index', (n) => `${TLOG_PROOF_HEADER}\nindex -5\n\n${n}`],
    ['a leading zero', (n) => `${TLOG_PROOF_HEADER}\nindex 05\n\n${n}`],
    ['an empty index', (n) => `${TLOG_PROOF_HEADER}\nindex \n\n${n}`],
    ['two spaces', (n) => `${TLOG_PROOF_HEADER}\nindex  5\n\n${n}`],
    ['a trailing space', (n) => `${TLOG_PROOF_HEADER}\nindex 5 \n\n${n}`],
    ['an index of 2^53', (n) => `${TLOG_PROOF_HEADER}\nindex 9007199254740992\n\n${n}`],
    ['a hash that is not base64', (n) => `${TLOG_PROOF_HEADER}\nindex 0\n!!no!!\n\n${n}`],
    [
      'a 64-byte hash',
      (n) => `${TLOG_PROOF_HEADER}\nindex 0\n${encodeBase64(new Uint8Array(64))}\n\n${n}`,
    ],
    [
      'a 31-byte hash',
      (n) => `${TLOG_PROOF_HEADER}\nindex 0\n${encodeBase64(new Uint8Array(31))}\n\n${n}`,
    ],
    ['no blank line', () => `${TLOG_PROOF_HEADER}\nindex 0\n${'A'.repeat(43)}=\n`],
    ['no checkpoint', () => `${TLOG_PROOF_HEADER}\nindex 0\n\n`],
    ['a checkpoint that is no note', () => `${TLOG_PROOF_HEADER}\nindex 0\n\ncheckpoint\n`],
    ['an unsigned checkpoint', (n) => `${TLOG_PROOF_HEADER}\nindex 0\n\n${n.split('\n\n')[0]}\n`],
    ['carriage returns', (n) => `${TLOG_PROOF_HEADER}\r\nindex 0\r\n\r\n${n}`],
    ['a trailing line', (n) => `${TLOG_PROOF_HEADER}\nindex 0\n\n${n}junk\n`],
  ])('refuses a proof with %s', (_, make) => {
    const err = thrown(() => parseTlogProof(make(SUMDB_NOTE)))
    expect(err).toBeInstanceOf(MalformedTlogProofError)
    expect(err).toMatchObject({
      name: 'MalformedTlogProofError',
      code: 'ERR_TLOG_PROOF_MALFORMED',
      check: 'format',
    })
  })

  it('says why when the checkpoint is at fault', async () => {
    const notANote = thrown(() => parseTlogProof(`${TLOG_PROOF_HEADER}\nindex 0\n\nhello\n`))
    expect((notANote as Error).cause).toBeInstanceOf(MalformedNoteError)
    const signedHello = await signNote('hello\n', [fancylog])
    const notACheckpoint = thrown(() =>
      parseTlogProof(`${TLOG_PROOF_HEADER}\nindex 0\n\n${signedHello}`),
    )
    expect(notACheckpoint).toBeInstanceOf(MalformedTlogProofError)
    expect((notACheckpoint as Error).cause).toBeInstanceOf(MalformedCheckpointError)
  })

  it('refuses oversized input and input that is not a string', () => {
    const huge = `${TLOG_PROOF_HEADER}\nextra ${'A'.repeat(TLOG_PROOF_MAX_BYTES)}\nindex 0\n\n${SUMDB_NOTE}`
    expect(thrown(() => parseTlogProof(huge))).toBeInstanceOf(MalformedTlogProofError)
    expect(thrown(() => parseTlogProof(null as never))).toBeInstanceOf(MalformedTlogProofError)
  })
})

describe('formatTlogProof', () => {
  it('writes header, extra, index, hashes, a blank line and the note', () => {
    const h1 = new Uint8Array(32).fill(1)
    const h2 = new Uint8Array(32).fill(2)
    expect(formatTlogProof({ index: 5, hashes: [h1, h2], checkpoint: SUMDB_NOTE })).toBe(
      `c2sp.org/tlog-proof@v1\nindex 5\n${encodeBase64(h1)}\n${encodeBase64(h2)}\n\n${SUMDB_NOTE}`,
    )
    const extra = new TextEncoder().encode('extra information')
    expect(formatTlogProof({ index: 10, hashes: [h1], checkpoint: SUMDB_NOTE, extra })).toBe(
      `c2sp.org/tlog-proof@v1\nextra ${encodeBase64(extra)}\nindex 10\n${encodeBase64(h1)}\n\n${SUMDB_NOTE}`,
    )
  })

  it('refuses fields parseTlogProof would refuse', () => {
    const good: TlogProof = { index: 1, hashes: [], checkpoint: SUMDB_NOTE }
    const bad: unknown[] = [
      null,
      { ...good, index: -1 },
      { ...good, index: 0.5 },
      { ...good, index: Number.MAX_SAFE_INTEGER + 1 },
      { ...good, index: '1' },
      { ...good, hashes: [new Uint8Array(31)] },
      { ...good, hashes: [Array.from(new Uint8Array(32))] },
      { ...good, hashes: Array.from({ length: 65 }, () => new Uint8Array(32)) },
      { ...good, hashes: 'none' },
      { ...good, extra: 'text' },
      { ...good, checkpoint: 'not a note\n' },
      { ...good, checkpoint: undefined },
    ]
    for (const proof of bad) {
      expect(thrown(() => formatTlogProof(proof as TlogProof))).toBeInstanceOf(
        MalformedTlogProofError,
      )
    }
  })
})

describe('tlog proofs, properties', () => {
  const proofArb = (): fc.Arbitrary<TlogProof> =>
    fc
      .record(
        {
          index: fc.maxSafeNat(),
          hashes: fc.array(hash, { maxLength: TLOG_PROOF_MAX_HASHES }),
          checkpoint: fc.constantFrom(...notes),
          extra: fc.uint8Array({ maxLength: 80 }),
        },
        { requiredKeys: ['index', 'hashes', 'checkpoint'] },
      )
      .map((proof) => proof as TlogProof)

  it('round-trips any proof', () => {
    fc.assert(
      fc.property(proofArb(), (proof) => {
        expect(parseTlogProof(formatTlogProof(proof))).toEqual(proof)
      }),
    )
  })

  it('fails only with MalformedTlogProofError, and what it accepts formats back identically', () => {
    const mutated = fc
      .tuple(proofArb(), fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 4, unit: 'binary' }))
      .map(([proof, at, deleted, inserted]) => {
        const text = formatTlogProof(proof)
        const i = at % (text.length + 1)
        return text.slice(0, i) + inserted + text.slice(i + deleted)
      })
    const pieces = fc
      .array(
        fc.constantFrom(
          `${TLOG_PROOF_HEADER}\n`,
          'extra ',
          'index ',
          '7',
          '0',
          '\n',
          'YQ==',
          `${encodeBase64(new Uint8Array(32))}\n`,
          SUMDB_NOTE,
        ),
        { maxLength: 10 },
      )
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(fc.oneof(mutated, pieces, fc.string({ unit: 'binary' })), (text) => {
        let proof: TlogProof
        try {
          proof = parseTlogProof(text)
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedTlogProofError)
          return
        }
        expect(formatTlogProof(proof)).toBe(text)
      }),
      { numRuns: 2000 },
    )
  })
})
