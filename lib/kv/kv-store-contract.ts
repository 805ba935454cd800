import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  KvBadRangeError,
  KvStoreClosedError,
  MAX_BATCH_BYTES,
  MAX_BOUND_BYTES,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  compareKeys,
  keyAfter,
  prefixRange,
  scanKv,
  type KvEntry,
  type KvOp,
  type KvRangeQuery,
  type KvStore,
} from './kv-store'

/**
 * The one test suite every {@link KvStore} adapter passes (STYLE.md habit 2): memory, IndexedDB,
 * SQLite and PostgreSQL run exactly these tests, so the consensus runtime can rely on the port
 * alone.
 */

/** What {@link runKvStoreContract} needs from an adapter: fresh, isolated storage per test. */
export interface KvStoreFixture {
  /**
   * Open a handle on this fixture's storage. Every call opens a new handle on the same data: the
   * suite uses that for concurrent handles and for close-and-reopen durability checks.
   */
  open(): Promise<KvStore>
  /** Delete the storage. Called once every handle the suite opened is closed. */
  teardown(): Promise<void>
}

/** Runs of the model-based property, each on fresh storage from `setup`. */
const PROPERTY_RUNS = 30

const MIB = 1024 * 1024

function b(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes)
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

function put(key: Uint8Array, value: Uint8Array): KvOp {
  return { type: 'put', key, value }
}

function del(key: Uint8Array): KvOp {
  return { type: 'del', key }
}

/** `length` bytes that differ for every seed (and at every position), so a mix-up shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/**
 * Byte equality without vitest's deep equality, which walks a large array element by element
 * (seconds for 1 MiB) and prints all of it when it fails.
 */
function expectSameBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array)
  const a = actual as Uint8Array
  expect(a.length).toBe(expected.length)
  const differs = a.findIndex((x, i) => x !== expected[i])
  expect(differs, 'index of the first differing byte').toBe(-1)
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

async function expectError(promise: Promise<unknown>, name: string, code: string, fields = {}) {
  const err = await rejection(promise)
  expect(err).toMatchObject({ name, code, ...fields })
  return err
}

/**
 * A plain model of what a store holds, independent of the code under test: keys are kept as hex
 * strings of two digits per byte, whose string order is the order of unsigned bytes, a prefix
 * first.
 */
class ReferenceKv {
  private readonly map = new Map<string, KvEntry>()

  private static id(key: Uint8Array): string {
    return Array.from(key, (x) => x.toString(16).padStart(2, '0')).join('')
  }

  apply(ops: readonly KvOp[]): void {
    for (const op of ops) {
      if (op.type === 'put') {
        this.map.set(ReferenceKv.id(op.key), [op.key.slice(), op.value.slice()])
      } else {
        this.map.delete(ReferenceKv.id(op.key))
      }
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(ReferenceKv.id(key))?.[1]
  }

  range(query: KvRangeQuery = {}): KvEntry[] {
    const gte = query.gte === undefined ? undefined : ReferenceKv.id(query.gte)
    const lt = query.lt === undefined ? undefined : ReferenceKv.id(query.lt)
    const ids = [...this.map.keys()]
      .filter((id) => (gte === undefined || id >= gte) && (lt === undefined || id < lt))
      .sort()
    if (query.reverse === true) ids.reverse()
    return ids.slice(0, query.limit ?? ids.length).map((id) => this.map.get(id) as KvEntry)
  }
}

/** Keys from a small alphabet around the edges (0x00, 0xff, the sign bit), so prefixes and equal keys are common. */
const keyArbitrary = fc
  .array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), { maxLength: 4 })
  .map((bytes) => Uint8Array.from(bytes))

const opArbitrary: fc.Arbitrary<KvOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({ key: keyArbitrary, value: fc.uint8Array({ maxLength: 6 }) })
      .map(({ key, value }) => put(key, value)),
  },
  keyArbitrary.map(del),
)

const queryArbitrary: fc.Arbitrary<KvRangeQuery> = fc.record(
  {
    gte: keyArbitrary,
    lt: keyArbitrary,
    reverse: fc.boolean(),
    limit: fc.nat({ max: 6 }),
  },
  { requiredKeys: [] },
)

type Step =
  | { t: 'batch'; ops: KvOp[] }
  | { t: 'range'; query: KvRangeQuery }
  | { t: 'get'; key: Uint8Array }
  | { t: 'reopen' }

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('batch' as const),
      ops: fc.array(opArbitrary, { maxLength: 6 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('range' as const), query: queryArbitrary }) },
  fc.record({ t: fc.constant('get' as const), key: keyArbitrary }),
  fc.constant({ t: 'reopen' as const }),
)

/**
 * Register the KV store contract as a vitest `describe` block.
 *
 * @param name - title of the block (the adapter's name)
 * @param setup - creates fresh, empty storage; called before every test and every property run
 * @example
 * ```ts
 * runKvStoreContract('memory', async () => {
 *   const state = new MemoryKvState()
 *   return { open: async () => createMemoryKvStore(state), teardown: async () => {} }
 * })
 * ```
 */
export function runKvStoreContract(name: string, setup: () => Promise<KvStoreFixture>): void {
  describe(`KvStore contract: ${name}`, () => {
    let fixture: KvStoreFixture | undefined
    const handles: KvStore[] = []

    async function open(): Promise<KvStore> {
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

    describe('get and batch', () => {
      it('finds nothing in a new store', async () => {
        const store = await open()
        expect(await store.get(text('alice'))).toBeUndefined()
        expect(await store.get(new Uint8Array(0))).toBeUndefined()
        expect(await store.range()).toEqual([])
        expect(await store.range({ gte: b(0), lt: b(0xff), reverse: true, limit: 3 })).toEqual([])
      })

      it('puts, overwrites and deletes single keys', async () => {
        const store = await open()
        await store.batch([put(text('alice'), text('1'))])
        expect(await store.get(text('alice'))).toEqual(text('1'))
        await store.batch([put(text('alice'), text('two'))])
        expect(await store.get(text('alice'))).toEqual(text('two'))
        await store.batch([put(text('bob'), text('3'))])
        await store.batch([del(text('alice'))])
        expect(await store.get(text('alice'))).toBeUndefined()
        expect(await store.get(text('bob'))).toEqual(text('3'))
        // Deleting an absent key is not an error.
        await store.batch([del(text('alice')), del(text('carol'))])
        expect(await store.range()).toEqual([[text('bob'), text('3')]])
      })

      it('applies the ops of one batch in order, the last op on a key winning', async () => {
        const store = await open()
        await store.batch([put(b(1), b(10)), put(b(2), b(20)), put(b(3), b(30))])
        await store.batch([
          put(b(1), b(11)),
          del(b(1)),
          del(b(2)),
          put(b(2), b(21)),
          put(b(3), b(31)),
          put(b(3), b(32)),
          put(b(4), b(40)),
          del(b(4)),
        ])
        expect(await store.range()).toEqual([
          [b(2), b(21)],
          [b(3), b(32)],
        ])
        await store.batch([])
        expect(await store.range()).toEqual([
          [b(2), b(21)],
          [b(3), b(32)],
        ])
      })

      it('stores binary keys and values of every shape, empty ones included', async () => {
        const store = await open()
        const all = Uint8Array.from({ length: 256 }, (_, i) => i)
        const cases: KvEntry[] = [
          [new Uint8Array(0), text('empty key')],
          [b(0), new Uint8Array(0)],
          [b(0, 0), b(0)],
          [b(0xff), b(0xff, 0xff)],
          [b(0xff, 0xff, 0xff), all],
          [all, all.slice().reverse()],
          [new Uint8Array(MAX_KEY_BYTES).fill(0xff), b(0x5c, 0x78, 0x27, 0x22, 0x00)],
        ]
        await store.batch(cases.map(([k, v]) => put(k, v)))
        for (const [key, value] of cases) expect(await store.get(key)).toEqual(value)
        // The empty key is the smallest: nothing lies below it, and it lies below [0x00].
        expect(await store.range({ lt: new Uint8Array(0) })).toEqual([])
        expect(await store.range({ lt: b(0) })).toEqual([cases[0]])
        expect(await store.range({ gte: new Uint8Array(0), limit: 1 })).toEqual([cases[0]])
        expect(await store.range()).toEqual([...cases].sort(([x], [y]) => compareKeys(x, y)))
      })

      it('stores and reads back values of 1 MiB', async () => {
        const store = await open()
        const values = [0, 1, 2].map((i) => pattern(MIB, i + 1))
        await store.batch(values.map((v, i) => put(b(i), v)))
        for (let i = 0; i < 3; i++) expectSameBytes(await store.get(b(i)), values[i]!)
        const entries = await store.range({ gte: b(1), reverse: true })
        expect(entries.map(([k]) => k)).toEqual([b(2), b(1)])
        expectSameBytes(entries[0]?.[1], values[2]!)
        expectSameBytes(entries[1]?.[1], values[1]!)
      })

      it('copies bytes in and out, and stores only the bytes of a view', async () => {
        const store = await open()
        const backing = b(9, 1, 2, 3, 4, 9)
        await store.batch([put(b(1, 2), b(0))])
        // Views into one buffer: an overwrite of [1, 2] and a new key [9].
        await store.batch([
          put(backing.subarray(1, 3), backing.subarray(3, 5)),
          put(backing.subarray(0, 1), backing.subarray(4, 6)),
        ])
        backing.fill(7)
        const stored: KvEntry[] = [
          [b(1, 2), b(3, 4)],
          [b(9), b(4, 9)],
        ]
        expect(await store.get(b(1, 2))).toEqual(b(3, 4))
        const read = await store.get(b(1, 2))
        read?.fill(0)
        const [entry] = await store.range()
        expect(entry).toEqual(stored[0])
        entry?.[0].fill(0)
        entry?.[1].fill(0)
        expect(await store.range()).toEqual(stored)
        // Plain Uint8Arrays of their own length: a caller may keep them or hand their buffer on.
        const got = await store.get(b(1, 2))
        expect(got?.constructor).toBe(Uint8Array)
        expect(got?.byteLength).toBe(got?.buffer.byteLength)
        expect(entry?.[1].constructor).toBe(Uint8Array)
      })
    })

    describe('atomic batches', () => {
      it('refuses a batch with one bad op whole and changes nothing', async () => {
        const store = await open()
        await store.batch([put(b(1), b(1)), put(b(2), b(2))])
        const before = await store.range()
        const big = new Uint8Array(MAX_VALUE_BYTES)
        const cases: [unknown, string, string, Record<string, unknown>][] = [
          [null, 'InvalidKvArgumentError', 'ERR_KV_INVALID_ARGUMENT', { argument: 'ops[2]' }],
          [
            { type: 'set', key: b(3), value: b(3) },
            'InvalidKvArgumentError',
            'ERR_KV_INVALID_ARGUMENT',
            { argument: 'ops[2].type' },
          ],
          [
            { type: 'put', key: 'k', value: b(3) },
            'InvalidKvArgumentError',
            'ERR_KV_INVALID_ARGUMENT',
            { argument: 'ops[2].key' },
          ],
          [
            { type: 'put', key: [3], value: b(3) },
            'InvalidKvArgumentError',
            'ERR_KV_INVALID_ARGUMENT',
            { argument: 'ops[2].key' },
          ],
          [
            { type: 'put', key: b(3) },
            'InvalidKvArgumentError',
            'ERR_KV_INVALID_ARGUMENT',
            { argument: 'ops[2].value' },
          ],
          [
            { type: 'put', key: b(3), value: new ArrayBuffer(1) },
            'InvalidKvArgumentError',
            'ERR_KV_INVALID_ARGUMENT',
            { argument: 'ops[2].value' },
          ],
          [
            { type: 'del', key: new Uint8Array(MAX_KEY_BYTES + 1) },
            'KvKeyTooLongError',
            'ERR_KV_KEY_TOO_LONG',
            { argument: 'ops[2].key', length: MAX_KEY_BYTES + 1, max: MAX_KEY_BYTES },
          ],
          [
            put(b(3), new Uint8Array(MAX_VALUE_BYTES + 1)),
            'KvValueTooLargeError',
            'ERR_KV_VALUE_TOO_LARGE',
            { argument: 'ops[2].value', length: MAX_VALUE_BYTES + 1 },
          ],
        ]
        for (const [bad, errName, code, fields] of cases) {
          const ops = [put(b(3), b(3)), del(b(1)), bad, put(b(4), b(4))] as KvOp[]
          await expectError(store.batch(ops), errName, code, { method: 'batch', ...fields })
          expect(await store.range()).toEqual(before)
        }
        // Each value may be the largest allowed, yet together they are too much for one batch.
        const tooMuch = [del(b(1)), ...[3, 4, 5, 6, 7].map((k) => put(b(k), big))]
        const err = await expectError(
          store.batch(tooMuch),
          'KvBatchTooLargeError',
          'ERR_KV_BATCH_TOO_LARGE',
        )
        expect((err as { bytes: number }).bytes).toBeGreaterThan(MAX_BATCH_BYTES)
        expect(await store.range()).toEqual(before)
        await expectError(
          store.batch('ops' as unknown as KvOp[]),
          'InvalidKvArgumentError',
          'ERR_KV_INVALID_ARGUMENT',
          { argument: 'ops' },
        )
        expect(await store.range()).toEqual(before)
      })

      it('shows every batch whole or not at all to readers on other handles', async () => {
        const writers = await Promise.all([open(), open()])
        const reader = await open()
        const BATCHES = 8
        const KEYS = 4
        let writing = true
        const written = Promise.all(
          writers.map(async (store, w) => {
            for (let i = 0; i < BATCHES; i++) {
              const ops = Array.from({ length: KEYS }, (_, k) => put(b(w, i, k), b(w, i, k)))
              // Each batch also replaces the writer's previous batch, so a reader can see a
              // half-applied batch as a missing key or as a stale one.
              if (i > 0) ops.push(...Array.from({ length: KEYS }, (_, k) => del(b(w, i - 1, k))))
              await store.batch(ops)
            }
          }),
        ).finally(() => {
          writing = false
        })
        let reads = 0
        do {
          const entries = await reader.range()
          for (const w of [0, 1]) {
            const mine = entries.filter(([key]) => key[0] === w)
            expect(mine.length % KEYS).toBe(0)
            expect(mine.length).toBeLessThanOrEqual(KEYS)
            expect(new Set(mine.map(([key]) => key[1])).size).toBeLessThanOrEqual(1)
          }
          reads++
        } while (writing)
        await written
        expect(reads).toBeGreaterThan(0)
        const final = await reader.range()
        expect(final.map(([key]) => [...key])).toEqual(
          [0, 1].flatMap((w) => Array.from({ length: KEYS }, (_, k) => [w, BATCHES - 1, k])),
        )
      })

      it('keeps the batches of concurrent handles, none lost', async () => {
        const stores = await Promise.all([open(), open(), open()])
        await Promise.all(
          stores.map(async (store, w) => {
            await Promise.all(
              Array.from({ length: 5 }, (_, i) =>
                store.batch([put(b(w, i, 0), b(i)), put(b(w, i, 1), b(i))]),
              ),
            )
          }),
        )
        const keys = (await stores[0]!.range()).map(([key]) => [...key])
        expect(keys).toEqual(
          [0, 1, 2].flatMap((w) =>
            [0, 1, 2, 3, 4].flatMap((i) => [
              [w, i, 0],
              [w, i, 1],
            ]),
          ),
        )
      })
    })

    describe('range', () => {
      it('orders keys as unsigned bytes, a prefix first', async () => {
        const store = await open()
        const sorted = [
          b(),
          b(0x00),
          b(0x00, 0x00),
          b(0x00, 0x00, 0x00),
          b(0x00, 0x01),
          b(0x00, 0xff),
          b(0x01),
          b(0x01, 0x00),
          b(0x7f, 0xff, 0xff),
          b(0x80),
          b(0x80, 0x00),
          b(0xfe, 0xff),
          b(0xff),
          b(0xff, 0x00),
          b(0xff, 0xff),
          b(0xff, 0xff, 0xff, 0xff),
        ]
        // Written in an order that is neither sorted nor reversed.
        const shuffled = sorted.map((_, i) => sorted[(i * 7) % sorted.length]!)
        await store.batch(shuffled.map((k, i) => put(k, b(i))))
        expect((await store.range()).map(([k]) => k)).toEqual(sorted)
        expect((await store.range({ reverse: true })).map(([k]) => k)).toEqual(
          [...sorted].reverse(),
        )
      })

      it('reads gte <= key < lt, up to limit, in either direction', async () => {
        const store = await open()
        const keys = [b(1), b(2), b(2, 0), b(2, 5), b(3), b(5)]
        await store.batch(keys.map((k, i) => put(k, b(i))))
        const keysOf = async (query: KvRangeQuery) => (await store.range(query)).map(([k]) => k)
        expect(await keysOf({ gte: b(2), lt: b(3) })).toEqual([b(2), b(2, 0), b(2, 5)])
        expect(await keysOf({ gte: b(2, 0), lt: b(5) })).toEqual([b(2, 0), b(2, 5), b(3)])
        expect(await keysOf({ gte: b(2, 1), lt: b(4) })).toEqual([b(2, 5), b(3)])
        expect(await keysOf({ gte: b(3) })).toEqual([b(3), b(5)])
        expect(await keysOf({ lt: b(2) })).toEqual([b(1)])
        expect(await keysOf({ gte: b(2), lt: b(2) })).toEqual([])
        expect(await keysOf({ gte: b(6) })).toEqual([])
        expect(await keysOf({ lt: b(1) })).toEqual([])
        expect(await keysOf({ limit: 0 })).toEqual([])
        expect(await keysOf({ limit: 2 })).toEqual([b(1), b(2)])
        expect(await keysOf({ limit: 99 })).toEqual(keys)
        expect(await keysOf({ reverse: true, limit: 2 })).toEqual([b(5), b(3)])
        expect(await keysOf({ gte: b(2), lt: b(3), reverse: true })).toEqual([
          b(2, 5),
          b(2, 0),
          b(2),
        ])
        expect(await keysOf({ gte: b(1, 0), lt: b(3), reverse: true, limit: 2 })).toEqual([
          b(2, 5),
          b(2, 0),
        ])
        expect(await keysOf({ lt: b(2, 0), reverse: true, limit: 1 })).toEqual([b(2)])
        expect(await keysOf({ gte: b(2, 0), lt: b(2, 0), reverse: true })).toEqual([])
        expect(await store.range({ gte: b(2, 5), limit: 1 })).toEqual([[b(2, 5), b(3)]])
      })

      it('selects a prefix with prefixRange and pages on with keyAfter and scanKv', async () => {
        const store = await open()
        const keys = [
          b(0xfe),
          b(0xfe, 0xff),
          b(0xff),
          b(0xff, 0),
          b(0xff, 0xff),
          b(0xff, 0xff, 1),
          b(1, 0xff, 0xff),
          b(2),
        ]
        await store.batch(keys.map((k, i) => put(k, b(i))))
        const keysOf = async (query: KvRangeQuery) => (await store.range(query)).map(([k]) => k)
        expect(await keysOf(prefixRange(b(0xff)))).toEqual([
          b(0xff),
          b(0xff, 0),
          b(0xff, 0xff),
          b(0xff, 0xff, 1),
        ])
        expect(await keysOf(prefixRange(b(0xff, 0xff)))).toEqual([b(0xff, 0xff), b(0xff, 0xff, 1)])
        expect(await keysOf(prefixRange(b(0xfe)))).toEqual([b(0xfe), b(0xfe, 0xff)])
        expect(await keysOf(prefixRange(b(1, 0xff)))).toEqual([b(1, 0xff, 0xff)])
        expect(await keysOf(prefixRange(b()))).toHaveLength(keys.length)
        const [first] = await store.range({ gte: b(0xff), limit: 1 })
        expect(await keysOf({ gte: keyAfter(first![0]), limit: 1 })).toEqual([b(0xff, 0)])
        const sorted = [...keys].sort(compareKeys)
        const scan = async (query: KvRangeQuery, pageSize: number) => {
          const out: Uint8Array[] = []
          for await (const [key] of scanKv(store, query, { pageSize })) out.push(key)
          return out
        }
        expect(await scan({}, 3)).toEqual(sorted)
        expect(await scan({ reverse: true }, 2)).toEqual([...sorted].reverse())
        expect(await scan({ ...prefixRange(b(0xff)), limit: 3 }, 2)).toEqual(sorted.slice(4, 7))
        expect(await scan({ gte: b(1), lt: b(0xff), reverse: true, limit: 5 }, 1)).toEqual(
          sorted.slice(0, 4).reverse(),
        )
        expect(await scan({ limit: 0 }, 1)).toEqual([])
      })

      it('accepts the longest key and bound, and refuses longer ones and reversed bounds', async () => {
        const store = await open()
        const longest = new Uint8Array(MAX_KEY_BYTES).fill(0xff)
        await store.batch([put(longest, b(1))])
        expect(await store.get(longest)).toEqual(b(1))
        const bound = keyAfter(longest)
        expect(bound).toHaveLength(MAX_BOUND_BYTES)
        expect(await store.range({ gte: bound })).toEqual([])
        expect(await store.range({ lt: bound })).toEqual([[longest, b(1)]])
        await expectError(
          store.get(new Uint8Array(MAX_KEY_BYTES + 1)),
          'KvKeyTooLongError',
          'ERR_KV_KEY_TOO_LONG',
          { method: 'get', argument: 'key', length: MAX_KEY_BYTES + 1 },
        )
        await expectError(
          store.range({ lt: new Uint8Array(MAX_BOUND_BYTES + 1) }),
          'KvKeyTooLongError',
          'ERR_KV_KEY_TOO_LONG',
          { method: 'range', argument: 'query.lt', max: MAX_BOUND_BYTES },
        )
        const reversed = await expectError(
          store.range({ gte: b(2), lt: b(1, 0xff) }),
          'KvBadRangeError',
          'ERR_KV_BAD_RANGE',
        )
        expect(reversed).toBeInstanceOf(KvBadRangeError)
        await expectError(
          store.range({ gte: b(1, 0), lt: b(1), reverse: true }),
          'KvBadRangeError',
          'ERR_KV_BAD_RANGE',
        )
      })

      it('refuses malformed queries and call options', async () => {
        const store = await open()
        const invalid: [Promise<unknown>, string, string][] = [
          [store.get('k' as unknown as Uint8Array), 'get', 'key'],
          [store.get(undefined as unknown as Uint8Array), 'get', 'key'],
          [store.get(b(1), null as unknown as undefined), 'get', 'options'],
          [store.get(b(1), { signal: 'stop' as unknown as AbortSignal }), 'get', 'options.signal'],
          [store.range(null as unknown as KvRangeQuery), 'range', 'query'],
          [store.range({ gte: [1] as unknown as Uint8Array }), 'range', 'query.gte'],
          [store.range({ lt: new ArrayBuffer(1) as unknown as Uint8Array }), 'range', 'query.lt'],
          [store.range({ reverse: 1 as unknown as boolean }), 'range', 'query.reverse'],
          [store.range({ limit: -1 }), 'range', 'query.limit'],
          [store.range({ limit: 1.5 }), 'range', 'query.limit'],
          [store.range({ limit: Number.NaN }), 'range', 'query.limit'],
          [store.range({ limit: Infinity }), 'range', 'query.limit'],
          [store.range({}, 5 as unknown as undefined), 'range', 'options'],
          [store.batch([], { signal: {} as AbortSignal }), 'batch', 'options.signal'],
        ]
        for (const [call, method, argument] of invalid) {
          await expectError(call, 'InvalidKvArgumentError', 'ERR_KV_INVALID_ARGUMENT', {
            method,
            argument,
          })
        }
      })

      it('matches a sorted reference model over random batches and queries', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(stepArbitrary, { minLength: 1, maxLength: 14 }),
            async (steps) => {
              const storage = await setup()
              let store = await storage.open()
              try {
                const model = new ReferenceKv()
                for (const step of steps) {
                  switch (step.t) {
                    case 'batch':
                      await store.batch(step.ops)
                      model.apply(step.ops)
                      break
                    case 'get':
                      expect(await store.get(step.key)).toEqual(model.get(step.key))
                      break
                    case 'range': {
                      const { gte, lt } = step.query
                      if (gte !== undefined && lt !== undefined && compareKeys(gte, lt) > 0) {
                        await expectError(
                          store.range(step.query),
                          'KvBadRangeError',
                          'ERR_KV_BAD_RANGE',
                        )
                      } else {
                        expect(await store.range(step.query)).toEqual(model.range(step.query))
                      }
                      break
                    }
                    case 'reopen':
                      await store.close()
                      store = await storage.open()
                      break
                  }
                }
                expect(await store.range()).toEqual(model.range())
                expect(await store.range({ reverse: true })).toEqual(model.range({ reverse: true }))
              } finally {
                await store.close()
                await storage.teardown()
              }
            },
          ),
          { numRuns: PROPERTY_RUNS },
        )
      })
    })

    describe('lifecycle', () => {
      it('keeps the data across close and reopen, and shares it between handles', async () => {
        const alice = await open()
        const bob = await open()
        await alice.batch([put(b(1), text('one')), put(b(2), text('two'))])
        expect(await bob.get(b(1))).toEqual(text('one'))
        await bob.batch([del(b(1)), put(b(3), text('three'))])
        expect(await alice.range()).toEqual([
          [b(2), text('two')],
          [b(3), text('three')],
        ])
        await alice.close()
        await bob.close()
        const reopened = await open()
        expect(await reopened.range()).toEqual([
          [b(2), text('two')],
          [b(3), text('three')],
        ])
      })

      it('refuses every call once closed, and close is idempotent', async () => {
        const store = await open()
        await store.batch([put(b(1), b(1))])
        await store.close()
        await store.close()
        const calls: [string, () => Promise<unknown>][] = [
          ['get', () => store.get(b(1))],
          ['batch', () => store.batch([put(b(2), b(2))])],
          ['batch', () => store.batch([])],
          ['range', () => store.range()],
        ]
        for (const [method, call] of calls) {
          const err = await expectError(call(), 'KvStoreClosedError', 'ERR_KV_STORE_CLOSED', {
            method,
          })
          expect(err).toBeInstanceOf(KvStoreClosedError)
        }
        const reopened = await open()
        expect(await reopened.range()).toEqual([[b(1), b(1)]])
      })

      it('lets calls already running finish when closed', async () => {
        const store = await open()
        await store.batch([put(b(0), b(0))])
        const writing = store.batch([put(b(1), b(1)), put(b(2), b(2))])
        const reading = store.get(b(0))
        const ranging = store.range({ limit: 1 })
        await store.close()
        await expect(writing).resolves.toBeUndefined()
        await expect(reading).resolves.toEqual(b(0))
        await expect(ranging).resolves.toEqual([[b(0), b(0)]])
        const reopened = await open()
        expect(await reopened.range()).toHaveLength(3)
      })
    })

    describe('abort signals', () => {
      it('rejects with the reason of an aborted signal and writes nothing', async () => {
        const store = await open()
        await store.batch([put(b(1), b(1))])
        const controller = new AbortController()
        controller.abort()
        const { signal } = controller
        expect(await rejection(store.batch([put(b(2), b(2)), del(b(1))], { signal }))).toBe(
          signal.reason,
        )
        expect(await rejection(store.get(b(1), { signal }))).toBe(signal.reason)
        expect(await rejection(store.range({}, { signal }))).toBe(signal.reason)
        expect(signal.reason).toMatchObject({ name: 'AbortError' })
        expect(await store.range()).toEqual([[b(1), b(1)]])
        const custom = new Error('shutting down')
        expect(await rejection(store.batch([], { signal: AbortSignal.abort(custom) }))).toBe(custom)
      })

      it('applies a batch aborted while running whole or not at all', async () => {
        const store = await open()
        // Abort at different moments: before the call's first await, after a microtask, after a
        // task. Whichever the adapter notices, the batch is all or nothing.
        const moments: (() => Promise<void>)[] = [
          async () => undefined,
          () => Promise.resolve(),
          () => new Promise((resolve) => setTimeout(resolve, 0)),
        ]
        for (let i = 0; i < moments.length; i++) {
          const controller = new AbortController()
          const ops = [put(b(i, 0), b(i)), put(b(i, 1), b(i)), del(b(i - 1, 0))]
          const before = await store.range()
          const batch = store.batch(ops, { signal: controller.signal })
          await moments[i]!()
          controller.abort()
          const outcome = await batch.then(
            () => 'applied',
            (err: unknown) => {
              expect(err).toBe(controller.signal.reason)
              return 'aborted'
            },
          )
          const model = new ReferenceKv()
          model.apply(before.map(([k, v]) => put(k, v)))
          if (outcome === 'applied') model.apply(ops)
          expect(await store.range()).toEqual(model.range())
        }
        // The store is still usable after aborted batches.
        await store.batch([put(b(9), b(9))])
        expect(await store.get(b(9))).toEqual(b(9))
      })

      it('ignores a signal aborted after the call resolved', async () => {
        const store = await open()
        const controller = new AbortController()
        await store.batch([put(b(1), b(1))], { signal: controller.signal })
        expect(await store.get(b(1), { signal: controller.signal })).toEqual(b(1))
        controller.abort()
        expect(await store.range()).toEqual([[b(1), b(1)]])
      })
    })
  })
}
