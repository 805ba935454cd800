import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryKvState, createMemoryKvStore } from '../adapters/memory-kv-store'
import { KvStoreError, type KvOp, type KvStore } from '../kv/kv-store'
import { seededRandom } from '../ports'
import {
  CHUNK_BYTES,
  createChallenge,
  createRetrievabilityProver,
  verifyRetrievability,
} from './retrievability'
import {
  STORED_BLOCK_BYTES,
  StoredBytesError,
  openStoredBytes,
  storedBlockKey,
  type StoredBytes,
} from './stored-bytes'

const B = STORED_BLOCK_BYTES
const MAX = 8 * B

function pattern(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed)
  return Uint8Array.from({ length }, () => Math.floor(random.next() * 256))
}

/** `actual` equals `expected` (a fast comparison: deep equality is slow on 512 KiB). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length)
  const at = actual.findIndex((x, i) => x !== expected[i])
  expect(at === -1 ? 'equal' : `first difference at ${at}`).toBe('equal')
}

/**
 * A memory KvStore whose batches can be made to fail or to wait: what a full disk or a slow
 * IndexedDB does.
 */
function controlledStore(state = new MemoryKvState()) {
  const inner = createMemoryKvStore(state)
  const control = {
    failBatches: false,
    gate: null as Promise<void> | null,
    batches: [] as KvOp[][],
  }
  const store: KvStore = {
    get: (key, options) => inner.get(key, options),
    range: (query, options) => inner.range(query, options),
    close: () => inner.close(),
    async batch(ops, options) {
      control.batches.push([...ops])
      if (control.gate !== null) await control.gate
      if (control.failBatches) throw new KvStoreError('batch', new Error('disk full'))
      return inner.batch(ops, options)
    },
  }
  return { store, state, control }
}

/** The same storage opened again: what a reloaded tab sees. */
async function reopen(state: MemoryKvState, maxBytes = MAX): Promise<StoredBytes> {
  return openStoredBytes(createMemoryKvStore(state), { maxBytes })
}

describe('stored bytes of a storage asset', () => {
  it('stores writes across block boundaries and finds them again after a reopen', async () => {
    const state = new MemoryKvState()
    const bytes = await reopen(state)
    expect(bytes.length).toBe(0)
    expectBytes(bytes.read(0, 16), new Uint8Array(16))
    const data = pattern(2 * B + 100, 1)
    await bytes.write(B - 50, data)
    expectBytes(bytes.read(B - 50, data.length), data)
    expectBytes(bytes.read(0, B - 50), new Uint8Array(B - 50))
    const again = await reopen(state)
    expectBytes(again.read(B - 50, data.length), data)
    expectBytes(again.read(0, MAX), bytes.read(0, MAX))
    // Only the blocks touched were stored: blocks 0 to 3.
    const keys = (await createMemoryKvStore(state).range()).map(([k]) => [...k])
    expect(keys).toEqual([0, 1, 2, 3].map((i) => [...storedBlockKey(i)]))
  })

  it('acknowledges a write only once it is stored, and shows the old bytes until then', async () => {
    const { store, state, control } = controlledStore()
    const bytes = await openStoredBytes(store, { maxBytes: MAX })
    let open!: () => void
    control.gate = new Promise<void>((resolve) => (open = resolve))
    let acknowledged = false
    const pending = bytes.write(10, Uint8Array.of(1, 2, 3)).then(() => (acknowledged = true))
    await new Promise((r) => setTimeout(r, 5))
    expect(acknowledged).toBe(false)
    expectBytes(bytes.read(10, 3), new Uint8Array(3))
    expectBytes((await reopen(state)).read(10, 3), new Uint8Array(3))
    open()
    await pending
    expectBytes(bytes.read(10, 3), Uint8Array.of(1, 2, 3))
    expectBytes((await reopen(state)).read(10, 3), Uint8Array.of(1, 2, 3))
  })

  it('a write the store refuses changes nothing, in RAM or stored, and the next one works', async () => {
    const { store, state, control } = controlledStore()
    const bytes = await openStoredBytes(store, { maxBytes: MAX })
    await bytes.write(0, pattern(B + 10, 2))
    const before = bytes.read(0, MAX).slice()
    control.failBatches = true
    await expect(bytes.write(5, pattern(3 * B, 3))).rejects.toMatchObject({
      name: 'KvStoreError',
    })
    expectBytes(bytes.read(0, MAX), before)
    expectBytes((await reopen(state)).read(0, MAX), before)
    control.failBatches = false
    await bytes.write(5, Uint8Array.of(9))
    expectBytes(bytes.read(5, 1), Uint8Array.of(9))
  })

  it('runs writes one at a time: two writes to one block in flight both land', async () => {
    const { store, state } = controlledStore()
    const bytes = await openStoredBytes(store, { maxBytes: MAX })
    await Promise.all([
      bytes.write(0, Uint8Array.of(1, 1)),
      bytes.write(4, Uint8Array.of(2, 2)),
      bytes.write(B - 1, Uint8Array.of(3, 3)),
    ])
    const expected = new Uint8Array(B + 1)
    expected.set([1, 1], 0)
    expected.set([2, 2], 4)
    expected.set([3, 3], B - 1)
    expectBytes(bytes.read(0, B + 1), expected)
    expectBytes((await reopen(state)).read(0, B + 1), expected)
  })

  it('truncates: the dropped bytes read as zeros, also after a reopen', async () => {
    const state = new MemoryKvState()
    const bytes = await reopen(state)
    const data = pattern(4 * B, 4)
    await bytes.write(0, data)
    await bytes.truncate(B + 7)
    const expected = new Uint8Array(4 * B)
    expected.set(data.subarray(0, B + 7))
    expectBytes(bytes.read(0, 4 * B), expected)
    expect(bytes.length).toBe(2 * B)
    const again = await reopen(state)
    expectBytes(again.read(0, 4 * B), expected)
    expect((await createMemoryKvStore(state).range()).length).toBe(2)
    await bytes.truncate(0)
    expectBytes((await reopen(state)).read(0, MAX), new Uint8Array(MAX))
  })

  it('matches a model byte array over random writes, truncations and reopens', async () => {
    const arbOp = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        offset: fc.integer({ min: 0, max: MAX - 1 }),
        length: fc.integer({ min: 0, max: 2 * B }),
        seed: fc.nat(),
      }),
      fc.record({ kind: fc.constant('truncate' as const), size: fc.integer({ min: 0, max: MAX }) }),
      fc.record({ kind: fc.constant('reopen' as const) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 12 }), async (ops) => {
        const state = new MemoryKvState()
        let bytes = await reopen(state)
        const model = new Uint8Array(MAX)
        for (const op of ops) {
          if (op.kind === 'write') {
            const length = Math.min(op.length, MAX - op.offset)
            const data = pattern(length, op.seed)
            await bytes.write(op.offset, data)
            model.set(data, op.offset)
          } else if (op.kind === 'truncate') {
            await bytes.truncate(op.size)
            model.fill(0, op.size)
          } else {
            bytes = await reopen(state)
          }
          expectBytes(bytes.read(0, MAX), model)
        }
        expectBytes((await reopen(state)).read(0, MAX), model)
      }),
      { numRuns: 40 },
    )
  })

  it('refuses ranges outside maxBytes synchronously, without touching the store', async () => {
    const { store, control } = controlledStore()
    const bytes = await openStoredBytes(store, { maxBytes: MAX })
    const argumentError = expect.objectContaining({ name: 'AssetArgumentError' })
    expect(() => bytes.write(MAX - 1, Uint8Array.of(1, 2))).toThrow(argumentError)
    expect(() => bytes.write(-1, Uint8Array.of(1))).toThrow(argumentError)
    expect(() => bytes.write(0, [1] as unknown as Uint8Array)).toThrow(argumentError)
    expect(() => bytes.read(MAX, 1)).toThrow(argumentError)
    expect(() => bytes.truncate(MAX + 1)).toThrow(argumentError)
    expect(control.batches).toEqual([])
    await expect(openStoredBytes(store, { maxBytes: B + 1 })).rejects.toMatchObject({
      name: 'AssetArgumentError',
    })
  })

  it('refuses damaged stored blocks, and drops blocks past a smaller cap', async () => {
    const state = new MemoryKvState()
    const kv = createMemoryKvStore(state)
    await kv.batch([
      { type: 'put', key: storedBlockKey(1), value: new Uint8Array(B).fill(1) },
      { type: 'put', key: storedBlockKey(9), value: new Uint8Array(B).fill(9) },
      // Not a block key: ignored (another record of the same database).
      { type: 'put', key: Uint8Array.of(0x61), value: Uint8Array.of(1) },
    ])
    const bytes = await reopen(state)
    expectBytes(bytes.read(B, B), new Uint8Array(B).fill(1))
    expect(await kv.get(storedBlockKey(9))).toBeUndefined()

    await kv.batch([{ type: 'put', key: storedBlockKey(2), value: new Uint8Array(B - 1) }])
    await expect(reopen(state)).rejects.toBeInstanceOf(StoredBytesError)
    await kv.batch([
      { type: 'del', key: storedBlockKey(2) },
      { type: 'put', key: Uint8Array.of(0x62, 0, 0), value: new Uint8Array(B) },
    ])
    await expect(reopen(state)).rejects.toMatchObject({
      name: 'StoredBytesError',
      code: 'STORED_BYTES_DAMAGED',
    })
  })

  it('proves a range against the commitment of what was written, and fails once it changed', async () => {
    const bytes = await reopen(new MemoryKvState())
    const data = pattern(5 * CHUNK_BYTES + 123, 5)
    const offset = 3 * B + 17
    await bytes.write(offset, data)
    const commitment = await createRetrievabilityProver({
      size: data.length,
      read: (o, l) => data.subarray(o, o + l),
    })
    const random = seededRandom(6)
    for (let round = 0; round < 3; round++) {
      const challenge = createChallenge(data.length, 4, random)
      const response = await bytes.prove(offset, data.length, challenge)
      expect(verifyRetrievability(commitment.root, data.length, challenge, response)).toEqual({
        ok: true,
      })
    }
    // One byte changed in every chunk: any challenge catches it.
    for (let i = 0; i < data.length; i += CHUNK_BYTES) {
      await bytes.write(offset + i, Uint8Array.of(data[i]! ^ 0xff))
    }
    const challenge = createChallenge(data.length, 2, random)
    const response = await bytes.prove(offset, data.length, challenge)
    expect(verifyRetrievability(commitment.root, data.length, challenge, response)).toMatchObject({
      ok: false,
      code: 'BAD_PROOF',
    })
    await expect(bytes.prove(offset, 0, challenge)).rejects.toBeInstanceOf(RangeError)
    await expect(bytes.prove(MAX - 10, 11, challenge)).rejects.toBeInstanceOf(RangeError)
    await expect(bytes.prove(offset, 10, { indices: [1] })).rejects.toBeInstanceOf(RangeError)
  })
})
