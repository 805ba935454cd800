import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  HeadMovedError,
  InvalidLogArgumentError,
  LogConflictError,
  LogRangeError,
  LogStoreClosedError,
  MissingHashError,
  type CertificateRecord,
  type LogBatch,
  type LogHead,
  type LogStore,
  type RevocationRecord,
} from './log-store'

/**
 * The one test suite every {@link LogStore} adapter passes (STYLE.md habit 2): memory, SQLite and
 * PostgreSQL run exactly these tests, so the sequencer can rely on the port alone.
 */

/** What {@link runLogStoreContract} needs from an adapter: fresh, isolated storage per test. */
export interface LogStoreFixture {
  /**
   * Open a handle on this fixture's storage. Every call opens a new handle on the same data: the
   * suite uses that for concurrent writers and for close-and-reopen durability checks.
   */
  open(): Promise<LogStore>
  /** Delete the storage. Called once every handle the suite opened is closed. */
  teardown(): Promise<void>
}

const HASH_BYTES = 32

/** Runs of the model-based property, each on fresh storage from `setup`. */
const PROPERTY_RUNS = 40

/** A 32-byte hash that differs for every seed. */
function hashOf(seed: number): Uint8Array {
  const out = new Uint8Array(HASH_BYTES)
  new DataView(out.buffer).setFloat64(0, seed)
  out.fill(seed & 0xff, 8)
  return out
}

function entryOf(label: string): Uint8Array {
  return new TextEncoder().encode(label)
}

function headOf(size: number, tag = ''): LogHead {
  return {
    size,
    rootHash: hashOf(1_000_000 + size),
    checkpoint: `example.org/log${tag}\n${size}\nroot-of-${size}\n\n— example.org/log sig\n`,
  }
}

/** Two stored hashes per entry, at 2n and 2n+1: fresh indexes for every new entry. */
function hashesFor(oldSize: number, count: number): LogBatch['hashes'] {
  const hashes: LogBatch['hashes'] = []
  for (let n = oldSize; n < oldSize + count; n++) {
    hashes.push(
      { index: 2 * n, hash: hashOf(2 * n) },
      { index: 2 * n + 1, hash: hashOf(2 * n + 1) },
    )
  }
  return hashes
}

/** A well-formed batch of `count` entries labelled `tag`, on a log of size `oldSize`. */
function batchOf(
  oldSize: number,
  count: number,
  tag = 'e',
  records: Pick<LogBatch, 'certificates' | 'revocations'> = {},
): LogBatch {
  const entries: Uint8Array[] = []
  for (let n = oldSize; n < oldSize + count; n++) entries.push(entryOf(`${tag}-${n}`))
  return {
    entries,
    hashes: hashesFor(oldSize, count),
    head: headOf(oldSize + count, tag),
    ...records,
  }
}

function certificate(
  serialHex: string,
  peerId: string,
  logIndex: number,
  notBefore = 1_750_000_000_000,
): CertificateRecord {
  return { serialHex, peerId, logIndex, notBefore, notAfter: notBefore + 86_400_000 }
}

function revocation(serialHex: string, peerId: string, logIndex: number): RevocationRecord {
  return {
    serialHex,
    peerId,
    logIndex,
    revokedAt: 1_750_000_100_000 + logIndex,
    reason: 'key lost',
  }
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection, the call resolved')
}

async function expectHeadMoved(promise: Promise<unknown>, expected: number, actual: number) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(HeadMovedError)
  expect(err).toMatchObject({
    name: 'HeadMovedError',
    code: 'ERR_LOG_HEAD_MOVED',
    expected,
    actual,
  })
}

async function expectConflict(
  promise: Promise<unknown>,
  kind: LogConflictError['kind'],
  key: number | string,
) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(LogConflictError)
  expect(err).toMatchObject({ name: 'LogConflictError', code: 'ERR_LOG_CONFLICT', kind, key })
}

async function expectInvalid(promise: Promise<unknown>, method: string, argument: string) {
  const err = await rejection(promise)
  expect(err).toBeInstanceOf(InvalidLogArgumentError)
  expect(err).toMatchObject({ name: 'InvalidLogArgumentError', code: 'ERR_LOG_INVALID_ARGUMENT' })
  expect(err).toMatchObject({ method, argument })
}

/** Assert that nothing of `batch` (built on a stale or conflicting head) reached the store. */
async function expectNoTrace(store: LogStore, batch: LogBatch, head: LogHead | null) {
  expect(await store.head()).toEqual(head)
  const size = head?.size ?? 0
  if (batch.head.size > size) {
    expect(await rejection(store.entries(size, batch.head.size))).toBeInstanceOf(LogRangeError)
    expect(await store.checkpointAt(batch.head.size)).toBeNull()
  }
  for (const c of batch.certificates ?? []) {
    expect(await store.certificateBySerial(c.serialHex)).not.toEqual(c)
  }
  for (const r of batch.revocations ?? []) {
    expect(await store.revocationOf(r.serialHex)).not.toEqual(r)
  }
}

/** A plain model of what a log store holds, for the property test. */
class ReferenceLog {
  head: LogHead | null = null
  readonly entries: Uint8Array[] = []
  readonly hashes = new Map<number, Uint8Array>()
  readonly checkpoints = new Map<number, string>()
  readonly certificates: CertificateRecord[] = []
  readonly revocations: RevocationRecord[] = []
  readonly meta = new Map<string, string>()

  get size(): number {
    return this.head?.size ?? 0
  }

  apply(batch: LogBatch): void {
    this.entries.push(...batch.entries.map((e) => e.slice()))
    for (const { index, hash } of batch.hashes) this.hashes.set(index, hash.slice())
    this.checkpoints.set(batch.head.size, batch.head.checkpoint)
    const byIndex = (a: { logIndex: number }, b: { logIndex: number }) => a.logIndex - b.logIndex
    this.certificates.push(...[...(batch.certificates ?? [])].sort(byIndex))
    this.revocations.push(...[...(batch.revocations ?? [])].sort(byIndex))
    this.head = { ...batch.head, rootHash: batch.head.rootHash.slice() }
  }

  /** Everything a store should answer, read through the port. */
  async expectMatches(store: LogStore): Promise<void> {
    expect(await store.head()).toEqual(this.head)
    expect(await store.entries(0, this.size)).toEqual(this.entries)
    const indexes = [...this.hashes.keys()]
    expect(await store.readHashes(indexes)).toEqual(indexes.map((i) => this.hashes.get(i)))
    for (let size = 0; size <= this.size + 1; size++) {
      expect(await store.checkpointAt(size)).toBe(this.checkpoints.get(size) ?? null)
    }
    const newestFirst = [...this.certificates].reverse()
    for (const peer of ['alice', 'bob', 'carol']) {
      expect(await store.certificatesOf(peer)).toEqual(newestFirst.filter((c) => c.peerId === peer))
    }
    expect(await store.recentCertificates(3)).toEqual(newestFirst.slice(0, 3))
    for (const c of this.certificates) {
      expect(await store.certificateBySerial(c.serialHex)).toEqual(c)
    }
    const paged: RevocationRecord[] = []
    for (let after = -1; ;) {
      const page = await store.revocations(after, 2)
      expect(page.length).toBeLessThanOrEqual(2)
      if (page.length === 0) break
      paged.push(...page)
      after = page[page.length - 1]!.logIndex
    }
    expect(paged).toEqual(this.revocations)
    for (const r of this.revocations) expect(await store.revocationOf(r.serialHex)).toEqual(r)
    for (const key of ['k0', 'k1', 'k2']) {
      expect(await store.getMeta(key)).toBe(this.meta.get(key) ?? null)
    }
  }
}

type Role = 'plain' | 'certificate' | 'revocation'

type Step =
  | { t: 'init' }
  | { t: 'append'; roles: { role: Role; pick: number }[] }
  | { t: 'stale'; delta: number; count: number }
  | { t: 'conflict'; kind: 'hash' | 'certificate' | 'revocation'; pick: number }
  | { t: 'meta'; key: number; value: string }
  | { t: 'reopen' }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ t: 'init' as const }),
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('append' as const),
      roles: fc.array(
        fc.record({
          role: fc.constantFrom<Role>('plain', 'certificate', 'certificate', 'revocation'),
          pick: fc.nat(),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  },
  fc.record({
    t: fc.constant('stale' as const),
    delta: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    t: fc.constant('conflict' as const),
    kind: fc.constantFrom('hash' as const, 'certificate' as const, 'revocation' as const),
    pick: fc.nat(),
  }),
  fc.record({
    t: fc.constant('meta' as const),
    key: fc.integer({ min: 0, max: 2 }),
    value: fc.string({ maxLength: 8 }),
  }),
  fc.constant({ t: 'reopen' as const }),
)

/**
 * Register the log store contract as a vitest `describe` block.
 *
 * @param name - title of the block (the adapter's name)
 * @param setup - creates fresh, empty storage; called before every test and every property run
 * @example
 * ```ts
 * runLogStoreContract('memory', async () => {
 *   const state = new MemoryLogState()
 *   return { open: async () => createMemoryLogStore(state), teardown: async () => {} }
 * })
 * ```
 */
export function runLogStoreContract(name: string, setup: () => Promise<LogStoreFixture>): void {
  describe(`LogStore contract: ${name}`, () => {
    let fixture: LogStoreFixture | undefined
    const handles: LogStore[] = []

    async function open(): Promise<LogStore> {
      if (fixture === undefined) throw new Error('no fixture')
      const store = await fixture.open()
      handles.push(store)
      return store
    }

    beforeEach(async () => {
      fixture = await setup()
    })

    afterEach(async () => {
      await Promise.all(handles.splice(0).map((s) => s.close()))
      await fixture?.teardown()
      fixture = undefined
    })

    describe('a log never written', () => {
      it('has no head, entries, checkpoints, hashes, records or settings', async () => {
        const store = await open()
        expect(await store.head()).toBeNull()
        expect(await store.entries(0, 0)).toEqual([])
        const range = await rejection(store.entries(0, 1))
        expect(range).toBeInstanceOf(LogRangeError)
        expect(range).toMatchObject({ name: 'LogRangeError', code: 'ERR_LOG_RANGE', size: 0 })
        expect(await store.checkpointAt(0)).toBeNull()
        expect(await store.readHashes([])).toEqual([])
        const missing = await rejection(store.readHashes([0]))
        expect(missing).toBeInstanceOf(MissingHashError)
        expect(missing).toMatchObject({ code: 'ERR_LOG_MISSING_HASH', index: 0 })
        expect(await store.certificatesOf('alice')).toEqual([])
        expect(await store.certificateBySerial('01')).toBeNull()
        expect(await store.recentCertificates(10)).toEqual([])
        expect(await store.revocations(-1, 10)).toEqual([])
        expect(await store.revocationOf('01')).toBeNull()
        expect(await store.getMeta('root')).toBeNull()
      })

      it('refuses a batch built on a size other than 0', async () => {
        const store = await open()
        const batch = batchOf(2, 1)
        await expectHeadMoved(store.append(2, batch), 2, 0)
        await expectNoTrace(store, batch, null)
      })
    })

    describe('append', () => {
      it('publishes the empty tree once, as the first checkpoint', async () => {
        const store = await open()
        const empty: LogBatch = { entries: [], hashes: [], head: headOf(0) }
        await store.append(0, empty)
        expect(await store.head()).toEqual(empty.head)
        expect(await store.checkpointAt(0)).toBe(empty.head.checkpoint)
        await expectHeadMoved(store.append(0, { ...empty, head: headOf(0, 'other') }), 0, 0)
        expect(await store.checkpointAt(0)).toBe(empty.head.checkpoint)
        const first = batchOf(0, 2)
        await store.append(0, first)
        expect(await store.head()).toEqual(first.head)
        expect(await store.checkpointAt(0)).toBe(empty.head.checkpoint)
        await expectHeadMoved(store.append(0, empty), 0, 2)
      })

      it('stores entries, hashes, head and checkpoint, and reads them back', async () => {
        const store = await open()
        const batch = batchOf(0, 3, 'first', {
          certificates: [certificate('0a', 'alice', 0), certificate('0b', 'bob', 2)],
          revocations: [revocation('0a', 'alice', 1)],
        })
        await store.append(0, batch)
        expect(await store.head()).toEqual(batch.head)
        expect(await store.entries(0, 3)).toEqual(batch.entries)
        const indexes = batch.hashes.map((h) => h.index)
        expect(await store.readHashes(indexes)).toEqual(batch.hashes.map((h) => h.hash))
        expect(await store.checkpointAt(3)).toBe(batch.head.checkpoint)
        expect(await store.certificateBySerial('0a')).toEqual(certificate('0a', 'alice', 0))
        expect(await store.revocationOf('0a')).toEqual(revocation('0a', 'alice', 1))
      })

      it('appends batch after batch and keeps every checkpoint', async () => {
        const store = await open()
        const sizes = [0]
        for (const count of [2, 1, 4]) {
          const oldSize = sizes[sizes.length - 1]!
          await store.append(oldSize, batchOf(oldSize, count))
          sizes.push(oldSize + count)
        }
        expect(await store.head()).toEqual(headOf(7, 'e'))
        expect(await store.entries(0, 7)).toEqual(batchOf(0, 7).entries)
        expect(await store.entries(1, 4)).toEqual(batchOf(0, 7).entries.slice(1, 4))
        for (let size = 0; size <= 8; size++) {
          const expected = sizes.includes(size) && size > 0 ? headOf(size, 'e').checkpoint : null
          expect(await store.checkpointAt(size)).toBe(expected)
        }
        const indexes = [13, 0, 7, 7, 2]
        expect(await store.readHashes(indexes)).toEqual(indexes.map(hashOf))
      })

      it('refuses a batch built on an old or future head and writes nothing of it', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 3))
        const head = await store.head()
        const stale = {
          ...batchOf(0, 4, 'stale', { certificates: [certificate('5a1e', 'alice', 1)] }),
          hashes: [{ index: 900, hash: hashOf(900) }],
        }
        await expectHeadMoved(store.append(0, stale), 0, 3)
        await expectNoTrace(store, stale, head)
        expect(await rejection(store.readHashes([900]))).toBeInstanceOf(MissingHashError)
        const ahead = batchOf(5, 1, 'ahead', { certificates: [certificate('a4ead', 'bob', 5)] })
        await expectHeadMoved(store.append(5, ahead), 5, 3)
        await expectNoTrace(store, ahead, head)
        expect(await store.entries(0, 3)).toEqual(batchOf(0, 3).entries)
      })

      it('lets exactly one of two concurrent appends on one handle win', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 1))
        const a = batchOf(1, 2, 'a', { certificates: [certificate('aa', 'alice', 1)] })
        const b = batchOf(1, 3, 'b', { certificates: [certificate('bb', 'bob', 2)] })
        const results = await Promise.allSettled([store.append(1, a), store.append(1, b)])
        await expectOneWinner(store, results, [a, b], 1)
      })

      it('lets exactly one of two concurrent appends on two handles win', async () => {
        const alice = await open()
        const bob = await open()
        const a = batchOf(0, 2, 'a', { certificates: [certificate('aa', 'alice', 0)] })
        const b = batchOf(0, 3, 'b', { certificates: [certificate('bb', 'bob', 1)] })
        const results = await Promise.allSettled([alice.append(0, a), bob.append(0, b)])
        await expectOneWinner(alice, results, [a, b], 0)
        expect(await bob.head()).toEqual(await alice.head())
      })

      it('sequences every batch of concurrent retrying writers exactly once', async () => {
        const writers = await Promise.all([open(), open(), open()])
        const BATCHES = 4
        await Promise.all(
          writers.map(async (store, w) => {
            for (let i = 0; i < BATCHES; i++) {
              for (;;) {
                const oldSize = (await store.head())?.size ?? 0
                const batch = batchOf(oldSize, 2, `w${w}`)
                batch.entries = [entryOf(`w${w}-${i}-0`), entryOf(`w${w}-${i}-1`)]
                try {
                  await store.append(oldSize, batch)
                  break
                } catch (err) {
                  if (!(err instanceof HeadMovedError)) throw err
                }
              }
            }
          }),
        )
        const store = writers[0]!
        const size = writers.length * BATCHES * 2
        expect((await store.head())?.size).toBe(size)
        const labels = (await store.entries(0, size)).map((e) => new TextDecoder().decode(e))
        const expected = writers.flatMap((_, w) =>
          Array.from({ length: BATCHES }, (_, i) => [`w${w}-${i}-0`, `w${w}-${i}-1`]).flat(),
        )
        expect([...labels].sort()).toEqual([...expected].sort())
        // A batch lands whole: its two entries are adjacent.
        for (let n = 0; n < size; n += 2) expect(labels[n + 1]).toBe(labels[n]!.slice(0, -1) + '1')
      })

      it('never overwrites a stored hash', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 2))
        const head = await store.head()
        const batch = batchOf(2, 1)
        batch.hashes.push({ index: 1, hash: hashOf(999) })
        await expectConflict(store.append(2, batch), 'hash', 1)
        await expectNoTrace(store, batch, head)
        expect(await store.readHashes([1])).toEqual([hashOf(1)])
        expect(await rejection(store.readHashes([4]))).toBeInstanceOf(MissingHashError)
        // The same within a batch large enough for adapters to insert many rows per statement.
        const big = batchOf(2, 300)
        big.hashes.splice(450, 0, { index: 3, hash: hashOf(999) }, { index: 0, hash: hashOf(998) })
        await expectConflict(store.append(2, big), 'hash', 3)
        await expectNoTrace(store, big, head)
        expect(await store.readHashes([0, 3])).toEqual([hashOf(0), hashOf(3)])
      })

      it('never stores a certificate serial or a revocation serial twice', async () => {
        const store = await open()
        await store.append(
          0,
          batchOf(0, 2, 'e', {
            certificates: [certificate('c1', 'alice', 0)],
            revocations: [revocation('c1', 'alice', 1)],
          }),
        )
        const head = await store.head()
        const again = batchOf(2, 1, 'e', { certificates: [certificate('c1', 'bob', 2)] })
        await expectConflict(store.append(2, again), 'certificate', 'c1')
        await expectNoTrace(store, again, head)
        const twice = batchOf(2, 1, 'e', { revocations: [revocation('c1', 'alice', 2)] })
        await expectConflict(store.append(2, twice), 'revocation', 'c1')
        await expectNoTrace(store, twice, head)
        expect(await store.certificateBySerial('c1')).toEqual(certificate('c1', 'alice', 0))
        expect(await store.revocationOf('c1')).toEqual(revocation('c1', 'alice', 1))
      })

      it('keeps what it stored when callers change their arrays afterwards', async () => {
        const store = await open()
        const batch = batchOf(0, 2)
        const original = batchOf(0, 2)
        await store.append(0, batch)
        batch.entries[0]!.fill(0)
        batch.hashes[0]!.hash.fill(0)
        batch.head.rootHash.fill(0)
        const read = await store.entries(0, 2)
        read[1]!.fill(0)
        const [hash] = await store.readHashes([1])
        hash!.fill(0)
        const head = await store.head()
        head!.rootHash.fill(0)
        expect(await store.entries(0, 2)).toEqual(original.entries)
        expect(await store.readHashes([0, 1])).toEqual([hashOf(0), hashOf(1)])
        expect(await store.head()).toEqual(original.head)
      })

      it('appends a batch of thousands of entries in one piece', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 1))
        const big = batchOf(1, 3000, 'big', {
          certificates: Array.from({ length: 500 }, (_, k) =>
            certificate(`b${k.toString(16)}`, k % 2 === 0 ? 'alice' : 'bob', 1 + 2 * k),
          ),
        })
        await store.append(1, big)
        expect(await store.head()).toEqual(big.head)
        expect(await store.entries(1, 3001)).toEqual(big.entries)
        const indexes = big.hashes.map((h) => h.index)
        expect(await store.readHashes(indexes)).toEqual(big.hashes.map((h) => h.hash))
        expect((await store.certificatesOf('alice')).length).toBe(250)
        expect(await store.recentCertificates(1)).toEqual([certificate('b1f3', 'bob', 999)])
      })
    })

    describe('reads', () => {
      it('refuses entry ranges past the head and serves ranges up to it', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 4))
        const err = await rejection(store.entries(2, 5))
        expect(err).toBeInstanceOf(LogRangeError)
        expect(err).toMatchObject({ code: 'ERR_LOG_RANGE', start: 2, end: 5, size: 4 })
        expect(await rejection(store.entries(9, 9))).toBeInstanceOf(LogRangeError)
        expect(await store.entries(4, 4)).toEqual([])
        expect(await store.entries(3, 4)).toEqual([entryOf('e-3')])
        expect(await store.entries(0, 4)).toEqual(batchOf(0, 4).entries)
      })

      it('reads hashes in the order asked and names the first absent one', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 3))
        expect(await store.readHashes([5, 0, 5, 3])).toEqual([5, 0, 5, 3].map(hashOf))
        const err = await rejection(store.readHashes([2, 40, 6, 41]))
        expect(err).toBeInstanceOf(MissingHashError)
        expect(err).toMatchObject({ name: 'MissingHashError', index: 40 })
      })

      it('lists certificates by peer and by recency, newest first, and finds them by serial', async () => {
        const store = await open()
        await store.append(
          0,
          batchOf(0, 3, 'e', {
            // Out of order within the batch on purpose: order comes from the log index.
            certificates: [certificate('03', 'alice', 2), certificate('01', 'alice', 0)],
          }),
        )
        await store.append(
          3,
          batchOf(3, 3, 'e', {
            certificates: [certificate('04', 'bob', 3), certificate('05', 'alice', 5)],
          }),
        )
        expect(await store.certificatesOf('alice')).toEqual([
          certificate('05', 'alice', 5),
          certificate('03', 'alice', 2),
          certificate('01', 'alice', 0),
        ])
        expect(await store.certificatesOf('bob')).toEqual([certificate('04', 'bob', 3)])
        expect(await store.certificatesOf('carol')).toEqual([])
        expect(await store.recentCertificates(2)).toEqual([
          certificate('05', 'alice', 5),
          certificate('04', 'bob', 3),
        ])
        expect((await store.recentCertificates(10)).map((c) => c.serialHex)).toEqual([
          '05',
          '04',
          '03',
          '01',
        ])
        expect(await store.recentCertificates(0)).toEqual([])
        expect(await store.certificateBySerial('04')).toEqual(certificate('04', 'bob', 3))
        expect(await store.certificateBySerial('02')).toBeNull()
      })

      it('pages revocations in log order after a cursor', async () => {
        const store = await open()
        await store.append(
          0,
          batchOf(0, 4, 'e', {
            revocations: [revocation('0c', 'carol', 3), revocation('0a', 'alice', 0)],
          }),
        )
        await store.append(
          4,
          batchOf(4, 3, 'e', {
            revocations: [revocation('0b', 'bob', 4), revocation('0d', 'alice', 6)],
          }),
        )
        const all = [
          revocation('0a', 'alice', 0),
          revocation('0c', 'carol', 3),
          revocation('0b', 'bob', 4),
          revocation('0d', 'alice', 6),
        ]
        expect(await store.revocations(-1, 10)).toEqual(all)
        expect(await store.revocations(-1, 2)).toEqual(all.slice(0, 2))
        expect(await store.revocations(3, 2)).toEqual(all.slice(2, 4))
        expect(await store.revocations(0, 1)).toEqual(all.slice(1, 2))
        expect(await store.revocations(6, 10)).toEqual([])
        expect(await store.revocations(1, 0)).toEqual([])
        expect(await store.revocationOf('0b')).toEqual(revocation('0b', 'bob', 4))
        expect(await store.revocationOf('0e')).toBeNull()
      })
    })

    describe('meta', () => {
      it('sets a key once and returns the value stored', async () => {
        const store = await open()
        expect(await store.getMeta('root')).toBeNull()
        expect(await store.initMeta('root', 'PEM A')).toBe('PEM A')
        expect(await store.initMeta('root', 'PEM B')).toBe('PEM A')
        expect(await store.getMeta('root')).toBe('PEM A')
        expect(await store.initMeta('blank', '')).toBe('')
        expect(await store.getMeta('blank')).toBe('')
      })

      it('gives two concurrent initMeta calls the same single value', async () => {
        const alice = await open()
        const bob = await open()
        const [a, b] = await Promise.all([
          alice.initMeta('root', 'from alice'),
          bob.initMeta('root', 'from bob'),
        ])
        expect(a).toBe(b)
        expect(['from alice', 'from bob']).toContain(a)
        expect(await alice.getMeta('root')).toBe(a)
        expect(await bob.getMeta('root')).toBe(a)
      })
    })

    describe('lifecycle', () => {
      it('reads everything back after close and reopen', async () => {
        const first = await open()
        const model = new ReferenceLog()
        const batches = [
          batchOf(0, 2, 'e', { certificates: [certificate('01', 'alice', 1)] }),
          batchOf(2, 3, 'e', {
            certificates: [certificate('02', 'bob', 2)],
            revocations: [revocation('01', 'alice', 4)],
          }),
        ]
        let oldSize = 0
        for (const batch of batches) {
          await first.append(oldSize, batch)
          model.apply(batch)
          oldSize = batch.head.size
        }
        await first.initMeta('k0', 'root PEM')
        model.meta.set('k0', 'root PEM')
        await first.close()
        const reopened = await open()
        await model.expectMatches(reopened)
        const next = batchOf(5, 1)
        await reopened.append(5, next)
        model.apply(next)
        await model.expectMatches(reopened)
      })

      it('refuses every call once closed, and closes twice without error', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 1))
        await store.close()
        await store.close()
        // Thunks: a rejection nobody awaits yet would be reported as unhandled.
        const calls: (() => Promise<unknown>)[] = [
          () => store.head(),
          () => store.append(1, batchOf(1, 1)),
          () => store.entries(0, 1),
          () => store.readHashes([0]),
          () => store.checkpointAt(1),
          () => store.certificatesOf('alice'),
          () => store.certificateBySerial('01'),
          () => store.recentCertificates(1),
          () => store.revocations(-1, 1),
          () => store.revocationOf('01'),
          () => store.getMeta('k'),
          () => store.initMeta('k', 'v'),
        ]
        for (const call of calls) {
          const err = await rejection(call())
          expect(err).toBeInstanceOf(LogStoreClosedError)
          expect(err).toMatchObject({ name: 'LogStoreClosedError', code: 'ERR_LOG_STORE_CLOSED' })
        }
        const reopened = await open()
        expect((await reopened.head())?.size).toBe(1)
      })

      it('lets calls already running finish when closed', async () => {
        const store = await open()
        const batch = batchOf(0, 2)
        const appending = store.append(0, batch)
        const reading = store.getMeta('k')
        await store.close()
        await expect(appending).resolves.toBeUndefined()
        await expect(reading).resolves.toBeNull()
        const reopened = await open()
        expect(await reopened.head()).toEqual(batch.head)
      })

      it('rejects with the reason of an aborted signal and writes nothing', async () => {
        const store = await open()
        const controller = new AbortController()
        controller.abort()
        const { signal } = controller
        const batch = batchOf(0, 2, 'e', { certificates: [certificate('01', 'alice', 0)] })
        const err = await rejection(store.append(0, batch, { signal }))
        expect(err).toBe(signal.reason)
        expect(err).toMatchObject({ name: 'AbortError' })
        await expectNoTrace(store, batch, null)
        const calls: (() => Promise<unknown>)[] = [
          () => store.head({ signal }),
          () => store.entries(0, 0, { signal }),
          () => store.readHashes([], { signal }),
          () => store.checkpointAt(0, { signal }),
          () => store.certificatesOf('alice', { signal }),
          () => store.certificateBySerial('01', { signal }),
          () => store.recentCertificates(1, { signal }),
          () => store.revocations(-1, 1, { signal }),
          () => store.revocationOf('01', { signal }),
          () => store.getMeta('k', { signal }),
          () => store.initMeta('k', 'v', { signal }),
        ]
        for (const call of calls) expect(await rejection(call())).toBe(signal.reason)
        expect(await store.getMeta('k')).toBeNull()
      })
    })

    describe('argument validation', () => {
      it('refuses malformed batches and writes nothing', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 2))
        const head = await store.head()
        const good = (): LogBatch => batchOf(2, 2)
        const cases: [string, number, unknown][] = [
          ['oldSize', -1, good()],
          ['oldSize', 2.5, good()],
          ['oldSize', Number.MAX_SAFE_INTEGER + 1, good()],
          ['batch', 2, null],
          ['batch.entries', 2, { ...good(), entries: 'nope' }],
          ['batch.entries[1]', 2, { ...good(), entries: [entryOf('x'), 'y'] }],
          ['batch.entries', 2, { ...good(), entries: [], head: headOf(2) }],
          ['batch.hashes', 2, { ...good(), hashes: undefined }],
          ['batch.hashes[0].index', 2, { ...good(), hashes: [{ index: -1, hash: hashOf(1) }] }],
          [
            'batch.hashes[0].hash',
            2,
            { ...good(), hashes: [{ index: 50, hash: new Uint8Array(31) }] },
          ],
          ['batch.hashes[0].hash', 2, { ...good(), hashes: [{ index: 50, hash: 'ab' }] }],
          [
            'batch.hashes',
            2,
            { ...good(), hashes: [50, 50].map((index) => ({ index, hash: hashOf(index) })) },
          ],
          ['batch.head', 2, { ...good(), head: undefined }],
          ['batch.head.size', 2, { ...good(), head: headOf(5) }],
          [
            'batch.head.rootHash',
            2,
            { ...good(), head: { ...headOf(4), rootHash: new Uint8Array(33) } },
          ],
          ['batch.head.checkpoint', 2, { ...good(), head: { ...headOf(4), checkpoint: '' } }],
          ['batch.certificates', 2, { ...good(), certificates: {} }],
          [
            'batch.certificates[0].serialHex',
            2,
            { ...good(), certificates: [certificate('AB', 'alice', 2)] },
          ],
          [
            'batch.certificates[0].serialHex',
            2,
            { ...good(), certificates: [certificate('0x1', 'alice', 2)] },
          ],
          [
            'batch.certificates[0].peerId',
            2,
            { ...good(), certificates: [certificate('ab', '', 2)] },
          ],
          [
            'batch.certificates[0].logIndex',
            2,
            { ...good(), certificates: [certificate('ab', 'alice', 1)] },
          ],
          [
            'batch.certificates[0].logIndex',
            2,
            { ...good(), certificates: [certificate('ab', 'alice', 4)] },
          ],
          [
            'batch.certificates[0].notBefore',
            2,
            { ...good(), certificates: [certificate('ab', 'alice', 2, -5)] },
          ],
          [
            'batch.certificates[0].notAfter',
            2,
            { ...good(), certificates: [{ ...certificate('ab', 'alice', 2), notAfter: 0 }] },
          ],
          [
            'batch.certificates',
            2,
            {
              ...good(),
              certificates: [certificate('ab', 'alice', 2), certificate('ab', 'bob', 3)],
            },
          ],
          [
            'batch.revocations[0].logIndex',
            2,
            { ...good(), revocations: [revocation('ab', 'alice', 0)] },
          ],
          [
            'batch.revocations[0].reason',
            2,
            { ...good(), revocations: [{ ...revocation('ab', 'alice', 2), reason: 7 }] },
          ],
          [
            'batch.certificates/revocations',
            2,
            {
              ...good(),
              certificates: [certificate('ab', 'alice', 3)],
              revocations: [revocation('cd', 'bob', 3)],
            },
          ],
        ]
        for (const [argument, oldSize, batch] of cases) {
          await expectInvalid(store.append(oldSize, batch as LogBatch), 'append', argument)
        }
        expect(await store.head()).toEqual(head)
        expect(await store.certificateBySerial('ab')).toBeNull()
        expect(await rejection(store.readHashes([50]))).toBeInstanceOf(MissingHashError)
      })

      it('refuses malformed read and meta arguments', async () => {
        const store = await open()
        await store.append(0, batchOf(0, 2))
        const cases: [() => Promise<unknown>, string, string][] = [
          [() => store.entries(-1, 1), 'entries', 'start'],
          [() => store.entries(0.5, 1), 'entries', 'start'],
          [() => store.entries(0, Number.NaN), 'entries', 'end'],
          [() => store.entries(2, 1), 'entries', 'end'],
          [() => store.readHashes('0' as unknown as number[]), 'readHashes', 'indexes'],
          [() => store.readHashes([0, -1]), 'readHashes', 'indexes[1]'],
          [() => store.checkpointAt(-1), 'checkpointAt', 'size'],
          [() => store.certificatesOf(''), 'certificatesOf', 'peerId'],
          [() => store.certificateBySerial('AB'), 'certificateBySerial', 'serialHex'],
          [() => store.certificateBySerial(''), 'certificateBySerial', 'serialHex'],
          [() => store.recentCertificates(-1), 'recentCertificates', 'limit'],
          [() => store.recentCertificates(1.5), 'recentCertificates', 'limit'],
          [() => store.revocations(-2, 1), 'revocations', 'afterLogIndex'],
          [() => store.revocations(0, -1), 'revocations', 'limit'],
          [() => store.revocationOf('0xab'), 'revocationOf', 'serialHex'],
          [() => store.getMeta(''), 'getMeta', 'key'],
          [() => store.initMeta('', 'v'), 'initMeta', 'key'],
          [() => store.initMeta('k', 5 as unknown as string), 'initMeta', 'value'],
        ]
        for (const [call, method, argument] of cases) await expectInvalid(call(), method, argument)
        expect(await store.getMeta('k')).toBeNull()
      })
    })

    it('matches a reference model over random sequences of batches', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary, { maxLength: 12 }), async (steps) => {
          const storage = await setup()
          let store = await storage.open()
          try {
            const model = new ReferenceLog()
            let serial = 0
            const nextSerial = () => `5e${(serial++).toString(16)}`
            for (const step of steps) {
              await runStep(step)
              await model.expectMatches(store)
            }

            async function runStep(step: Step): Promise<void> {
              switch (step.t) {
                case 'init': {
                  const empty: LogBatch = { entries: [], hashes: [], head: headOf(0, 'init') }
                  if (model.head === null) {
                    await store.append(0, empty)
                    model.apply(empty)
                  } else {
                    await expectHeadMoved(store.append(0, empty), 0, model.size)
                  }
                  return
                }
                case 'append': {
                  const oldSize = model.size
                  const certificates: CertificateRecord[] = []
                  const revocations: RevocationRecord[] = []
                  const revoked = new Set(model.revocations.map((r) => r.serialHex))
                  step.roles.forEach(({ role, pick }, k) => {
                    const logIndex = oldSize + k
                    if (role === 'certificate') {
                      const peer = ['alice', 'bob', 'carol'][pick % 3]!
                      certificates.push(certificate(nextSerial(), peer, logIndex, pick))
                    } else if (role === 'revocation') {
                      const open = model.certificates.filter((c) => !revoked.has(c.serialHex))
                      const target = open[pick % Math.max(open.length, 1)]
                      if (target === undefined) return
                      revoked.add(target.serialHex)
                      revocations.push(revocation(target.serialHex, target.peerId, logIndex))
                    }
                  })
                  // Records in reverse: the store orders by log index, not by arrival.
                  const batch = batchOf(oldSize, step.roles.length, `s${serial}`, {
                    certificates: certificates.reverse(),
                    revocations: revocations.reverse(),
                  })
                  await store.append(oldSize, batch)
                  model.apply(batch)
                  return
                }
                case 'stale': {
                  const wrong =
                    model.size + step.delta >= 0 ? model.size + step.delta : model.size + 1
                  const batch = batchOf(wrong, step.count, 'stale', {
                    certificates: [certificate(nextSerial(), 'alice', wrong)],
                  })
                  await expectHeadMoved(store.append(wrong, batch), wrong, model.size)
                  return
                }
                case 'conflict': {
                  const oldSize = model.size
                  const batch = batchOf(oldSize, 1, 'conflict')
                  if (step.kind === 'hash' && model.hashes.size > 0) {
                    const index = [...model.hashes.keys()][step.pick % model.hashes.size]!
                    batch.hashes.push({ index, hash: hashOf(index + 7) })
                    await expectConflict(store.append(oldSize, batch), 'hash', index)
                  } else if (step.kind === 'certificate' && model.certificates.length > 0) {
                    const taken = model.certificates[step.pick % model.certificates.length]!
                    batch.certificates = [certificate(taken.serialHex, 'bob', oldSize)]
                    await expectConflict(
                      store.append(oldSize, batch),
                      'certificate',
                      taken.serialHex,
                    )
                  } else if (step.kind === 'revocation' && model.revocations.length > 0) {
                    const taken = model.revocations[step.pick % model.revocations.length]!
                    batch.revocations = [revocation(taken.serialHex, taken.peerId, oldSize)]
                    await expectConflict(
                      store.append(oldSize, batch),
                      'revocation',
                      taken.serialHex,
                    )
                  }
                  return
                }
                case 'meta': {
                  const key = `k${step.key}`
                  const stored = model.meta.get(key) ?? step.value
                  expect(await store.initMeta(key, step.value)).toBe(stored)
                  model.meta.set(key, stored)
                  return
                }
                case 'reopen': {
                  await store.close()
                  store = await storage.open()
                  return
                }
              }
            }
          } finally {
            await store.close()
            await storage.teardown()
          }
        }),
        { numRuns: PROPERTY_RUNS },
      )
    })
  })
}

/** Of two racing appends on the same `oldSize`, one landed whole and the other left no trace. */
async function expectOneWinner(
  store: LogStore,
  results: PromiseSettledResult<void>[],
  batches: [LogBatch, LogBatch],
  oldSize: number,
): Promise<void> {
  const won = results.findIndex((r) => r.status === 'fulfilled')
  expect(won).toBeGreaterThanOrEqual(0)
  const lost = 1 - won
  const loss = results[lost]
  expect(loss?.status).toBe('rejected')
  const winner = batches[won]!
  const loser = batches[lost]!
  const reason = (loss as PromiseRejectedResult).reason
  expect(reason).toBeInstanceOf(HeadMovedError)
  expect(reason).toMatchObject({ expected: oldSize, actual: winner.head.size })
  expect(await store.head()).toEqual(winner.head)
  expect(await store.entries(oldSize, winner.head.size)).toEqual(winner.entries)
  for (const c of winner.certificates ?? []) {
    expect(await store.certificateBySerial(c.serialHex)).toEqual(c)
  }
  for (const c of loser.certificates ?? []) {
    expect(await store.certificateBySerial(c.serialHex)).toBeNull()
  }
  expect(await store.checkpointAt(winner.head.size)).toBe(winner.head.checkpoint)
  if (loser.head.size !== winner.head.size) {
    expect(await store.checkpointAt(loser.head.size)).toBeNull()
  }
}
