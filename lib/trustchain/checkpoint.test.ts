import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CHECKPOINT_HASH_LENGTH,
  MalformedCheckpointError,
  formatCheckpoint,
  parseCheckpoint,
  type Checkpoint,
} from './checkpoint'
import { decodeBase64, formatVerifierKey, openNote, parseVerifierKey, signNote } from './note'

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

// Body of a production checkpoint of sum.golang.org (verified in note.test.ts).
const SUMDB_TEXT = 'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n'
// The example of c2sp.org/tlog-checkpoint.
const C2SP_TEXT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'
const HASH = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='

/** Whether `s` holds a character below U+0020, which no checkpoint line may. */
const hasControl = (s: string): boolean => [...s].some((c) => c < ' ')

const checkpointArb: fc.Arbitrary<Checkpoint> = fc.record({
  origin: fc
    .string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
    .filter((s) => s.isWellFormed() && !hasControl(s)),
  size: fc.maxSafeNat(),
  rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  extensions: fc.array(
    fc
      .string({ minLength: 1, maxLength: 20, unit: 'grapheme' })
      .filter((s) => s.isWellFormed() && !hasControl(s)),
    { maxLength: 3 },
  ),
})

describe('parseCheckpoint', () => {
  it('parses the spec example and a sum.golang.org checkpoint', () => {
    expect(parseCheckpoint(C2SP_TEXT)).toEqual({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      rootHash: decodeBase64(HASH),
      extensions: [],
    })
    const sumdb = parseCheckpoint(SUMDB_TEXT)
    expect(sumdb).toMatchObject({ origin: 'go.sum database tree', size: 6476701, extensions: [] })
    expect(sumdb.rootHash).toHaveLength(CHECKPOINT_HASH_LENGTH)
    expect(formatCheckpoint(sumdb)).toBe(SUMDB_TEXT)
    expect(formatCheckpoint(parseCheckpoint(C2SP_TEXT))).toBe(C2SP_TEXT)
  })

  it('keeps extension lines, in order', () => {
    const text = `log\n5\n${HASH}\nfirst extension\nsecond — é\n`
    expect(parseCheckpoint(text).extensions).toEqual(['first extension', 'second — é'])
    expect(formatCheckpoint(parseCheckpoint(text))).toBe(text)
  })

  it('accepts size 0 and 2^53 - 1', () => {
    expect(parseCheckpoint(`log\n0\n${HASH}\n`).size).toBe(0)
    expect(parseCheckpoint(`log\n9007199254740991\n${HASH}\n`).size).toBe(Number.MAX_SAFE_INTEGER)
  })

  it.each([
    ['no final newline', `log\n5\n${HASH}`],
    ['two lines', 'log\n5\n'],
    ['nothing', ''],
    ['an empty origin', `\n5\n${HASH}\n`],
    ['a leading zero', `log\n05\n${HASH}\n`],
    ['00', `log\n00\n${HASH}\n`],
    ['a negative size', `log\n-1\n${HASH}\n`],
    ['a plus sign', `log\n+1\n${HASH}\n`],
    ['a space in the size', `log\n 1\n${HASH}\n`],
    ['an exponent', `log\n1e3\n${HASH}\n`],
    ['a hex size', `log\n0x10\n${HASH}\n`],
    ['an empty size', `log\n\n${HASH}\n`],
    ['non-ASCII digits', `log\n\u0661\n${HASH}\n`],
    ['a size of 2^53', `log\n9007199254740992\n${HASH}\n`],
    ['a uint64 beyond 2^53', `log\n18446744073709551615\n${HASH}\n`],
    ['a 31-byte hash', `log\n5\n${'A'.repeat(40)}AA==\n`],
    ['a 33-byte hash', `log\n5\n${'A'.repeat(44)}\n`],
    ['an unpadded hash', `log\n5\n${HASH.slice(0, -1)}\n`],
    ['a hash with trailing bits', `log\n5\n${HASH.slice(0, -2)}3=\n`],
    ['an empty hash', 'log\n5\n\n'],
    ['a blank extension line', `log\n5\n${HASH}\n\n`],
    ['a blank line between extensions', `log\n5\n${HASH}\na\n\nb\n`],
    ['a carriage return', `log\r\n5\r\n${HASH}\r\n`],
    ['a control character', `l\u0007og\n5\n${HASH}\n`],
    ['a lone surrogate', `log\ud800\n5\n${HASH}\n`],
  ])('refuses a text with %s', (_, text) => {
    const err = thrown(() => parseCheckpoint(text))
    expect(err).toBeInstanceOf(MalformedCheckpointError)
    expect(err).toMatchObject({
      name: 'MalformedCheckpointError',
      code: 'ERR_CHECKPOINT_MALFORMED',
      check: 'format',
    })
  })

  it('refuses input that is not a string', () => {
    expect(thrown(() => parseCheckpoint(undefined as never))).toBeInstanceOf(
      MalformedCheckpointError,
    )
  })

  it('fails only with MalformedCheckpointError, and what it accepts formats back identically', () => {
    const near = fc
      .array(fc.constantFrom('log', '\n', '0', '1', '9', '-', ' ', HASH, 'A', '=', '\r', 'é', ''), {
        maxLength: 12,
      })
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), near), (text) => {
        let parsed: Checkpoint
        try {
          parsed = parseCheckpoint(text)
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedCheckpointError)
          return
        }
        expect(formatCheckpoint(parsed)).toBe(text)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('formatCheckpoint', () => {
  it('writes origin, decimal size, base64 hash and extensions, newline-terminated', () => {
    const rootHash = decodeBase64(HASH)!
    expect(formatCheckpoint({ origin: 'log', size: 0, rootHash, extensions: [] })).toBe(
      `log\n0\n${HASH}\n`,
    )
    expect(formatCheckpoint({ origin: 'log', size: 12, rootHash, extensions: ['x', 'y'] })).toBe(
      `log\n12\n${HASH}\nx\ny\n`,
    )
  })

  it('round-trips any checkpoint', () => {
    fc.assert(
      fc.property(checkpointArb, (checkpoint) => {
        expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint)
      }),
    )
  })

  it('refuses fields parseCheckpoint would refuse', () => {
    const good: Checkpoint = {
      origin: 'log',
      size: 1,
      rootHash: new Uint8Array(32),
      extensions: [],
    }
    const bad: unknown[] = [
      null,
      { ...good, origin: '' },
      { ...good, origin: 'two\nlines' },
      { ...good, origin: 'tab\there' },
      { ...good, size: -1 },
      { ...good, size: 1.5 },
      { ...good, size: Number.MAX_SAFE_INTEGER + 1 },
      { ...good, size: Number.NaN },
      { ...good, size: '5' },
      { ...good, rootHash: new Uint8Array(31) },
      { ...good, rootHash: Array.from(new Uint8Array(32)) },
      { ...good, extensions: [''] },
      { ...good, extensions: ['a\nb'] },
      { ...good, extensions: 'ext' },
    ]
    for (const checkpoint of bad) {
      expect(thrown(() => formatCheckpoint(checkpoint as Checkpoint))).toBeInstanceOf(
        MalformedCheckpointError,
      )
    }
  })

  it('survives signing and opening as a note', async () => {
    const seed = new Uint8Array(32).fill(9)
    const publicKey = ed25519.getPublicKey(seed)
    const checkpoint: Checkpoint = {
      origin: 'hypermesh.example/log',
      size: 1234,
      rootHash: new Uint8Array(32).fill(0xab),
      extensions: [],
    }
    const note = await signNote(formatCheckpoint(checkpoint), [
      { name: checkpoint.origin, publicKey, sign: (m) => ed25519.sign(m, seed) },
    ])
    const verifier = parseVerifierKey(formatVerifierKey(checkpoint.origin, publicKey))
    expect(parseCheckpoint(openNote(note, [verifier]).text)).toEqual(checkpoint)
  })
})
