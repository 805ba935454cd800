import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TrustchainError } from './errors'
import {
  MalformedNoteError,
  NOTE_MAX_BYTES,
  NOTE_MAX_SIGNATURES,
  NoteKeyError,
  NoteSignatureError,
  decodeBase64,
  encodeBase64,
  formatVerifierKey,
  isValidNoteKeyName,
  noteKeyId,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
  type NoteSigner,
} from './note'

/** Run `fn` and return what it threw; fails the test if it returned. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  return {
    name,
    publicKey: ed25519.getPublicKey(seed),
    sign: (message) => ed25519.sign(message, seed),
  }
}

function seedOf(n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

// golang.org/x/mod/sumdb/note documentation and tests: keys, text and signatures.
const PETER_SKEY_DATA = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop'
const GO_TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n"
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n'

// Real checkpoints of the Go checksum database, signed by its production key.
const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'
const SUMDB_NOTE =
  'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n\n' +
  '— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n'
const SUMDB_WITNESSED_NOTE =
  'go.sum database tree\n15067302\ngJyioq6dwR9n+NjEWORfYmH+ubeYm3kH42BBQ0bTpYI=\n\n' +
  '— sum.golang.org Az3grp1rvWOs5NKlr/xR4GLN/CDyzzakmt1o61uSxYKpK1SerqOP2ClbX/peKUZjYnyomH5Xz7GZG3TpB7OeKn4E2ww=\n' +
  '— test.example.com qTGhC/xIPQ0AXKHK6Y+9ypRfuvMZWPjRXM8NiOg5M1WREn07VQXyuIXM3NRNav3ieVFLUqDRK77PWDmL6w8w84UqeAw=\n'

// The example of c2sp.org/signed-note (its public key is not published).
const C2SP_EXAMPLE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
  '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n'

const peterSeed = decodeBase64(PETER_SKEY_DATA)!.slice(1)
const peter = parseVerifierKey(PETER_VKEY)
const enoch = parseVerifierKey(ENOCH_VKEY)

describe('verifier keys', () => {
  it('parses the Go documentation keys', () => {
    expect(peter.name).toBe('PeterNeumann')
    expect(peter.keyId).toBe(0xc74f20a3)
    expect(peter.publicKey).toEqual(ed25519.getPublicKey(peterSeed))
    expect(enoch).toMatchObject({ name: 'EnochRoot', keyId: 0xaf0cfe78 })
    expect(parseVerifierKey(SUMDB_VKEY)).toMatchObject({
      name: 'sum.golang.org',
      keyId: 0x033de0ae,
    })
  })

  it('formats exactly what Go formats', () => {
    expect(formatVerifierKey('PeterNeumann', ed25519.getPublicKey(peterSeed))).toBe(PETER_VKEY)
    for (const key of [PETER_VKEY, ENOCH_VKEY, SUMDB_VKEY]) {
      const { name, publicKey } = parseVerifierKey(key)
      expect(formatVerifierKey(name, publicKey)).toBe(key)
    }
  })

  it('computes the key ID from name, type byte and key', () => {
    expect(noteKeyId('PeterNeumann', peter.publicKey)).toBe(0xc74f20a3)
    expect(noteKeyId('EnochRoot', enoch.publicKey)).toBe(0xaf0cfe78)
    // Same key, other name: another ID.
    expect(noteKeyId('PeterNeumann2', peter.publicKey)).not.toBe(0xc74f20a3)
  })

  it('refuses the bad keys from the Go tests', () => {
    const wrongLength = 'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='
    const unknownType = 'PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
    for (const key of [wrongLength, unknownType]) {
      const err = thrown(() => parseVerifierKey(key))
      expect(err).toBeInstanceOf(NoteKeyError)
      expect((err as NoteKeyError).code).toBe('ERR_NOTE_KEY')
    }
  })

  it('refuses every proper substring and every one-character change of a key', () => {
    for (let i = 0; i < PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i === 0 && j === PETER_VKEY.length) continue
        expect(thrown(() => parseVerifierKey(PETER_VKEY.slice(i, j)))).toBeInstanceOf(NoteKeyError)
      }
      const bumped =
        PETER_VKEY.slice(0, i) +
        String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) +
        PETER_VKEY.slice(i + 1)
      expect(thrown(() => parseVerifierKey(bumped))).toBeInstanceOf(NoteKeyError)
    }
  })

  it('refuses upper-case key IDs, a key of the other type and bad names', () => {
    const upper = PETER_VKEY.replace('c74f20a3', 'C74F20A3')
    expect(thrown(() => parseVerifierKey(upper))).toBeInstanceOf(NoteKeyError)
    expect(thrown(() => formatVerifierKey('a b', peter.publicKey))).toBeInstanceOf(NoteKeyError)
    expect(thrown(() => formatVerifierKey('ok', new Uint8Array(31)))).toBeInstanceOf(NoteKeyError)
    expect(thrown(() => noteKeyId('', peter.publicKey))).toBeInstanceOf(NoteKeyError)
    expect(thrown(() => parseVerifierKey(42 as unknown as string))).toBeInstanceOf(NoteKeyError)
  })

  it('round-trips any valid name and key', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter(isValidNoteKeyName),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (name, publicKey) => {
          const parsed = parseVerifierKey(formatVerifierKey(name, publicKey))
          expect(parsed).toEqual({ name, keyId: noteKeyId(name, publicKey), publicKey })
        },
      ),
    )
  })
})

describe('isValidNoteKeyName', () => {
  it.each([
    ['example.com/log', true],
    ['PeterNeumann', true],
    ['é—ü', true],
    ['', false],
    ['a b', false],
    ['a+b', false],
    ['a\tb', false],
    ['a\nb', false],
    ['a\u00a0b', false],
    ['a\u0085b', false],
    ['a\u2003b', false],
    ['a\u3000b', false],
    ['a\u0001b', false],
    ['\ud800', false],
  ])('%j → %s', (name, valid) => {
    expect(isValidNoteKeyName(name)).toBe(valid)
  })
})

describe('base64', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes)
      }),
    )
  })

  it.each(['YQ', 'YR==', ' YQ==', 'YQ==\n', 'Y Q==', 'YQ=', '====', '*AAA', 'YWI=YWI=', 'YQ-_'])(
    'refuses the non-canonical %j',
    (text) => {
      expect(decodeBase64(text)).toBeUndefined()
    },
  )
})

describe('signNote', () => {
  it('produces the note Go produces for the same key and text', async () => {
    const note = await signNote(GO_TEXT, [signerFromSeed('PeterNeumann', peterSeed)])
    expect(note).toBe(`${GO_TEXT}\n${PETER_SIG}`)
  })

  it('writes one line per signer, in order, and accepts async signers', async () => {
    const alice = signerFromSeed('alice.example', seedOf(1))
    const bob = signerFromSeed('bob.example', seedOf(2))
    const asyncBob: NoteSigner = { ...bob, sign: async (m) => bob.sign(m) }
    const note = await signNote('hello\n', [alice, asyncBob])
    const parsed = parseNote(note)
    expect(parsed.text).toBe('hello\n')
    expect(parsed.signatures.map((s) => s.name)).toEqual(['alice.example', 'bob.example'])
    const verifiers = [alice, bob].map((s) =>
      parseVerifierKey(formatVerifierKey(s.name, s.publicKey)),
    )
    expect(openNote(note, verifiers).verifiedBy).toEqual(['alice.example', 'bob.example'])
  })

  it.each([
    ['no final newline', 'hello'],
    ['empty', ''],
    ['a control character', 'he\u0007llo\n'],
    ['a carriage return', 'hello\r\n'],
    ['a lone surrogate', 'he\ud800llo\n'],
  ])('refuses a text with %s', async (_, text) => {
    const err = await rejected(signNote(text, [signerFromSeed('a', seedOf(1))]))
    expect(err).toBeInstanceOf(MalformedNoteError)
    expect((err as MalformedNoteError).check).toBe('format')
  })

  it('refuses a text that would make the note too large', async () => {
    const text = `${'x'.repeat(NOTE_MAX_BYTES - 10)}\n`
    const err = await rejected(signNote(text, [signerFromSeed('a', seedOf(1))]))
    expect(err).toBeInstanceOf(MalformedNoteError)
  })

  it('refuses bad signer lists', async () => {
    const good = signerFromSeed('alice.example', seedOf(1))
    const cases: NoteSigner[][] = [
      [],
      [good, good],
      [{ ...good, name: 'alice example' }],
      [{ ...good, name: 'alice+example' }],
      [{ ...good, publicKey: new Uint8Array(33) }],
      // Signs with another key than the one it announces.
      [{ ...good, publicKey: ed25519.getPublicKey(seedOf(2)) }],
      [{ ...good, sign: () => new Uint8Array(63) }],
      Array.from({ length: NOTE_MAX_SIGNATURES + 1 }, (_, i) => signerFromSeed(`k${i}`, seedOf(1))),
    ]
    for (const signers of cases) {
      const err = await rejected(signNote('hello\n', signers))
      expect(err).toBeInstanceOf(NoteKeyError)
    }
  })

  it('lets a signer failure through unchanged', async () => {
    const failure = new Error('hsm offline')
    const signer: NoteSigner = {
      ...signerFromSeed('a', seedOf(1)),
      sign: () => Promise.reject(failure),
    }
    expect(await rejected(signNote('hello\n', [signer]))).toBe(failure)
  })
})

describe('openNote', () => {
  it('verifies the Go note and ignores the unknown signer', () => {
    const note = `${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`
    expect(openNote(note, [peter])).toEqual({ text: GO_TEXT, verifiedBy: ['PeterNeumann'] })
    expect(openNote(note, [enoch])).toEqual({ text: GO_TEXT, verifiedBy: ['EnochRoot'] })
    expect(openNote(note, [peter, enoch]).verifiedBy).toEqual(['PeterNeumann', 'EnochRoot'])
  })

  it('verifies production checkpoints of sum.golang.org', () => {
    const sumdb = parseVerifierKey(SUMDB_VKEY)
    expect(openNote(SUMDB_NOTE, [sumdb]).text).toBe(
      'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n',
    )
    expect(openNote(SUMDB_WITNESSED_NOTE, [sumdb, peter]).verifiedBy).toEqual(['sum.golang.org'])
    expect(openNote(new TextEncoder().encode(SUMDB_NOTE), [sumdb]).verifiedBy).toEqual([
      'sum.golang.org',
    ])
  })

  it('splits the C2SP example at its last blank line', () => {
    const parsed = parseNote(C2SP_EXAMPLE)
    expect(parsed.text).toBe(
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n',
    )
    expect(parsed.signatures).toHaveLength(1)
    expect(parsed.signatures[0]?.name).toBe('quasimodo.example/salvatore')
    expect(parsed.signatures[0]?.signature).toHaveLength(64)
  })

  it('refuses a note no known key signed', () => {
    // A key with the same name as the signer but another key (so another ID) is not that key.
    const sameName = parseVerifierKey(
      formatVerifierKey('quasimodo.example/salvatore', ed25519.getPublicKey(seedOf(3))),
    )
    for (const verifiers of [[], [peter], [sameName]]) {
      const err = thrown(() => openNote(C2SP_EXAMPLE, verifiers))
      expect(err).toBeInstanceOf(NoteSignatureError)
      expect(err).toMatchObject({
        code: 'ERR_NOTE_SIGNATURE',
        check: 'checkpoint-signature',
        keyName: undefined,
      })
    }
  })

  it('ignores a line with a known key ID under another name', () => {
    const renamed = PETER_SIG.replace('PeterNeumann', 'PeterNeumann2')
    expect(thrown(() => openNote(`${GO_TEXT}\n${renamed}`, [peter]))).toBeInstanceOf(
      NoteSignatureError,
    )
    expect(openNote(`${GO_TEXT}\n${renamed}${ENOCH_SIG}`, [peter, enoch]).verifiedBy).toEqual([
      'EnochRoot',
    ])
  })

  it('refuses the whole note when one known signature is bad, even beside a good one', () => {
    const bad = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60)
    for (const note of [`${GO_TEXT}\n${bad}`, `${GO_TEXT}\n${ENOCH_SIG}${bad}`]) {
      const err = thrown(() => openNote(note, [peter, enoch]))
      expect(err).toBeInstanceOf(NoteSignatureError)
      expect((err as NoteSignatureError).keyName).toBe('PeterNeumann')
    }
    // A repeated line of a known key is verified again, not skipped.
    const repeated = `${GO_TEXT}\n${PETER_SIG}${bad}`
    expect(thrown(() => openNote(repeated, [peter]))).toBeInstanceOf(NoteSignatureError)
    // A signature with a known ID but the wrong length is a bad signature, not a syntax error.
    const short = `— PeterNeumann ${encodeBase64(new Uint8Array([0xc7, 0x4f, 0x20, 0xa3, 1]))}\n`
    expect(thrown(() => openNote(`${GO_TEXT}\n${short}`, [peter]))).toBeInstanceOf(
      NoteSignatureError,
    )
  })

  it('lists a key once when its line repeats', () => {
    const note = `${GO_TEXT}\n${PETER_SIG}${PETER_SIG}`
    expect(openNote(note, [peter, peter]).verifiedBy).toEqual(['PeterNeumann'])
  })

  it('accepts 100 signatures and refuses 101', () => {
    const ok = `${GO_TEXT}\n${PETER_SIG.repeat(NOTE_MAX_SIGNATURES)}`
    expect(openNote(ok, [peter]).verifiedBy).toEqual(['PeterNeumann'])
    const tooMany = `${GO_TEXT}\n${PETER_SIG.repeat(NOTE_MAX_SIGNATURES + 1)}`
    expect(thrown(() => openNote(tooMany, [peter]))).toBeInstanceOf(MalformedNoteError)
    expect(thrown(() => openNote(tooMany, []))).toBeInstanceOf(MalformedNoteError)
  })

  it('refuses notes over the size limit, as text or bytes', () => {
    const big = `${'x'.repeat(NOTE_MAX_BYTES)}\n\n${PETER_SIG}`
    expect(thrown(() => openNote(big, [peter]))).toBeInstanceOf(MalformedNoteError)
    expect(thrown(() => openNote(new TextEncoder().encode(big), [peter]))).toBeInstanceOf(
      MalformedNoteError,
    )
    // Under the limit in UTF-16 code units, over it in UTF-8 bytes.
    const wide = `${'é'.repeat(NOTE_MAX_BYTES / 2)}\n\n${PETER_SIG}`
    expect(thrown(() => openNote(wide, [peter]))).toBeInstanceOf(MalformedNoteError)
  })

  it.each([
    ['text only', GO_TEXT],
    ['no signature line', `${GO_TEXT}\n`],
    ['no final newline', `${GO_TEXT}\n${PETER_SIG.slice(0, -1)}`],
    ['a control character', `\u0001${GO_TEXT}\n${PETER_SIG}`],
    ['a carriage return', `${GO_TEXT}\n${PETER_SIG.replace('\n', '\r\n')}`],
    ['a lone surrogate', `\ud800${GO_TEXT}\n${PETER_SIG}`],
    ['a name with a space', `${GO_TEXT}\n${PETER_SIG.replace('PeterNeumann', 'Bad Name')}`],
    ['a line without signature', `${GO_TEXT}\n— PeterNeumann\n`],
    ['an empty signature', `${GO_TEXT}\n— PeterNeumann \n`],
    ['a hyphen for the dash', `${GO_TEXT}\n${PETER_SIG.replace('—', '-')}`],
    ['two spaces', `${GO_TEXT}\n${PETER_SIG.replace(' x08', '  x08')}`],
    ['a trailing space', `${GO_TEXT}\n${PETER_SIG.replace('\n', ' \n')}`],
    ['unpadded base64', `${GO_TEXT}\n${PETER_SIG.replace('=\n', '\n')}`],
    ['a four-byte signature', `${GO_TEXT}\n— PeterNeumann x08gow==\n`],
    ['a line after the signatures', `${GO_TEXT}\n${PETER_SIG}Unexpected line.\n`],
    ['a blank line at the end', `${GO_TEXT}\n${PETER_SIG}\n`],
  ])('refuses a note with %s', (_, note) => {
    const err = thrown(() => openNote(note, [peter]))
    expect(err).toBeInstanceOf(MalformedNoteError)
    expect(err).toMatchObject({ name: 'MalformedNoteError', code: 'ERR_NOTE_MALFORMED' })
    expect((err as MalformedNoteError).toJSON()).toMatchObject({ check: 'format' })
  })

  it('refuses bytes that are not UTF-8', () => {
    const bytes = new TextEncoder().encode(`${GO_TEXT}\n${PETER_SIG}`)
    bytes[0] = 0xff
    expect(thrown(() => openNote(bytes, [peter]))).toBeInstanceOf(MalformedNoteError)
  })

  it('refuses unusable verifier lists', () => {
    const note = `${GO_TEXT}\n${PETER_SIG}`
    const wrongId = { ...peter, keyId: peter.keyId ^ 1 }
    const cases = [null, [wrongId], [{ ...peter, publicKey: new Uint8Array(32) }], [{}], [null]]
    for (const verifiers of cases) {
      const err = thrown(() => openNote(note, verifiers as never))
      expect(err).toBeInstanceOf(NoteKeyError)
    }
  })
})

describe('signed notes, properties', () => {
  const noteText = fc
    .array(
      fc
        .string({ maxLength: 30, unit: 'grapheme' })
        .filter((line) => line.isWellFormed() && ![...line].some((c) => c < ' ')),
      { minLength: 1, maxLength: 6 },
    )
    .map((lines) => `${lines.join('\n')}\n`)

  const keyName = fc
    .string({ minLength: 1, maxLength: 20, unit: 'grapheme' })
    .filter(isValidNoteKeyName)

  it('opens what it signs, with any text, names and number of signers', async () => {
    await fc.assert(
      fc.asyncProperty(
        noteText,
        fc.uniqueArray(keyName, { minLength: 1, maxLength: 4 }),
        async (text, names) => {
          const signers = names.map((name, i) => signerFromSeed(name, seedOf(i + 1)))
          const note = await signNote(text, signers)
          const verifiers = signers.map((s) =>
            parseVerifierKey(formatVerifierKey(s.name, s.publicKey)),
          )
          expect(openNote(note, verifiers)).toEqual({ text, verifiedBy: names })
          const last = verifiers.at(-1)!
          expect(openNote(note, [last])).toEqual({ text, verifiedBy: [last.name] })
        },
      ),
      { numRuns: 60 },
    )
  })

  it('never verifies a changed note for another text', async () => {
    const alice = signerFromSeed('alice.example', seedOf(1))
    const aliceKey = parseVerifierKey(formatVerifierKey(alice.name, alice.publicKey))
    const text = 'alice.example/log\n42\nq1YJ2nW6yv5mKzI7p7CqK2x3Z0b6jJt2pZ8rG7mYQk0=\n'
    const note = await signNote(text, [alice])
    fc.assert(
      fc.property(
        fc.nat({ max: note.length - 1 }),
        fc.nat({ max: 3 }),
        fc.string({ maxLength: 3, unit: 'binary' }),
        (at, deleted, inserted) => {
          const mutated = note.slice(0, at) + inserted + note.slice(at + deleted)
          fc.pre(mutated !== note)
          let opened
          try {
            opened = openNote(mutated, [aliceKey])
          } catch (err) {
            expect(err).toBeInstanceOf(TrustchainError)
            expect(err).not.toBeInstanceOf(NoteKeyError)
            return
          }
          expect(opened.text).toBe(text)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('fails only with typed errors on arbitrary input', () => {
    const arbitraryNote = fc.oneof(
      fc.string({ maxLength: 300, unit: 'binary' }),
      fc
        .array(fc.constantFrom('a', ' ', '\n', '— ', '+', 'AAAA', '=', 'PeterNeumann', 'x08go'), {
          maxLength: 40,
        })
        .map((parts) => parts.join('')),
      fc.uint8Array({ maxLength: 300 }),
    )
    fc.assert(
      fc.property(arbitraryNote, (note) => {
        for (const fn of [() => openNote(note, [peter]), () => parseNote(note)]) {
          try {
            fn()
          } catch (err) {
            expect(err).toBeInstanceOf(TrustchainError)
            expect(err).not.toBeInstanceOf(NoteKeyError)
          }
        }
      }),
      { numRuns: 2000 },
    )
  })
})
