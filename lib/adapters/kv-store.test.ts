import 'fake-indexeddb/auto'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import fc from 'fast-check'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { KvStoreError, compareKeys, keyAfter, prefixRange, type KvStore } from '../kv/kv-store'
import { runKvStoreContract } from '../kv/kv-store-contract'
import { openIdbKvStore } from './idb-kv-store'
import { createMemoryKvStore, MemoryKvState } from './memory-kv-store'
import { openPgKvStore } from './pg-kv-store'
import { openSqliteKvStore } from './sqlite-kv-store'

runKvStoreContract('memory', async () => {
  const state = new MemoryKvState()
  return { open: async () => createMemoryKvStore(state), teardown: async () => undefined }
})

runKvStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hypermesh-kv-store-'))
  const path = join(dir, 'kv.sqlite')
  return {
    open: () => openSqliteKvStore(path),
    teardown: () => rm(dir, { recursive: true, force: true }),
  }
})

/** Delete an IndexedDB database once every connection to it is closed. */
function deleteIdb(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`))
  })
}

// fake-indexeddb in Node: the IndexedDB algorithms as the spec writes them, binary keys included.
runKvStoreContract('IndexedDB', async () => {
  const name = `hypermesh-kv-test-${randomBytes(8).toString('hex')}`
  return { open: () => openIdbKvStore(name), teardown: () => deleteIdb(name) }
})

const databaseUrl = process.env.TEST_DATABASE_URL

if (databaseUrl === undefined || databaseUrl === '') {
  console.log('PostgreSQL KV store contract not run: set TEST_DATABASE_URL to run it.')
} else {
  runKvStoreContract('PostgreSQL', async () => {
    // A schema of its own per test and per property run, dropped afterwards.
    const schema = `kv_store_test_${randomBytes(8).toString('hex')}`
    return {
      open: () => openPgKvStore({ connectionString: databaseUrl, schema }),
      teardown: async () => {
        const client = new pg.Client({ connectionString: databaseUrl })
        await client.connect()
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        } finally {
          await client.end()
        }
      },
    }
  })
}

describe('key helpers', () => {
  const bytesArbitrary = fc.uint8Array({ maxLength: 6 }).chain((random) =>
    fc.constantFrom(
      random,
      random.map((x) => (x & 1 ? 0xff : 0x00)),
    ),
  )

  it('compareKeys is the order of unsigned bytes, a prefix first', () => {
    const hex = (a: Uint8Array) => Array.from(a, (x) => x.toString(16).padStart(2, '0')).join('')
    fc.assert(
      fc.property(bytesArbitrary, bytesArbitrary, (a, b) => {
        // Fixed-width hex strings of the bytes compare like the bytes, a prefix first.
        const expected = hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : 0
        expect(Math.sign(compareKeys(a, b))).toBe(expected)
      }),
    )
  })

  it('keyAfter is the next key and prefixRange bounds exactly the keys with the prefix', () => {
    fc.assert(
      fc.property(bytesArbitrary, bytesArbitrary, (prefix, key) => {
        const after = keyAfter(key)
        expect(compareKeys(after, key)).toBeGreaterThan(0)
        // Nothing lies strictly between a key and keyAfter(key).
        if (compareKeys(prefix, key) > 0)
          expect(compareKeys(prefix, after)).toBeGreaterThanOrEqual(0)
        const { gte, lt } = prefixRange(prefix)
        const starts = key.length >= prefix.length && prefix.every((x, i) => key[i] === x)
        const inRange = compareKeys(key, gte) >= 0 && (lt === undefined || compareKeys(key, lt) < 0)
        expect(inRange).toBe(starts)
      }),
    )
    expect(prefixRange(Uint8Array.of(1, 0xff, 0xff))).toEqual({
      gte: Uint8Array.of(1, 0xff, 0xff),
      lt: Uint8Array.of(2),
    })
    expect(prefixRange(Uint8Array.of(0xff))).toEqual({ gte: Uint8Array.of(0xff) })
  })

  it('errors keep their name and code through JSON', async () => {
    const store = createMemoryKvStore()
    await store.close()
    const err = await store.get(Uint8Array.of(1)).catch((e: unknown) => e)
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      name: 'KvStoreClosedError',
      code: 'ERR_KV_STORE_CLOSED',
    })
  })
})

describe('opening KV stores', () => {
  it('refuses malformed arguments with the typed error', async () => {
    const invalid: [Promise<unknown>, string, string][] = [
      [openSqliteKvStore(''), 'openSqliteKvStore', 'path'],
      [openIdbKvStore(''), 'openIdbKvStore', 'dbName'],
      [openIdbKvStore('db', ''), 'openIdbKvStore', 'storeName'],
      [openPgKvStore(null as never), 'openPgKvStore', 'init'],
      [
        openPgKvStore({ connectionString: '', schema: 's' }),
        'openPgKvStore',
        'init.connectionString',
      ],
      [
        openPgKvStore({ connectionString: 'postgres://x', schema: 'a-b' }),
        'openPgKvStore',
        'init.schema',
      ],
      [
        openPgKvStore({ connectionString: 'postgres://x', schema: 's', table: '1kv' }),
        'openPgKvStore',
        'init.table',
      ],
      [
        openPgKvStore({ connectionString: 'postgres://x', schema: `s"; DROP TABLE x; --` }),
        'openPgKvStore',
        'init.schema',
      ],
    ]
    for (const [call, method, argument] of invalid) {
      await expect(call).rejects.toMatchObject({
        name: 'InvalidKvArgumentError',
        code: 'ERR_KV_INVALID_ARGUMENT',
        method,
        argument,
      })
    }
  })

  it('reports storage that cannot be opened as KvStoreError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hypermesh-kv-store-'))
    try {
      const err = await openSqliteKvStore(join(dir, 'missing', 'kv.sqlite')).catch(
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(KvStoreError)
      expect(err).toMatchObject({ name: 'KvStoreError', code: 'ERR_KV_STORE', operation: 'open' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const pgErr = await openPgKvStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      schema: 'kv',
    }).catch((e: unknown) => e)
    expect(pgErr).toMatchObject({ name: 'KvStoreError', code: 'ERR_KV_STORE', operation: 'open' })
  })
})

describe('IndexedDB KV stores sharing one database', () => {
  it('keeps one object store per store name, and handles reconnect after each upgrade', async () => {
    const name = `hypermesh-kv-test-${randomBytes(8).toString('hex')}`
    const stores: KvStore[] = []
    try {
      // Each new store name upgrades the database; the handles already open let it through.
      const blocks = await openIdbKvStore(name, 'blocks')
      stores.push(blocks)
      await blocks.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(10) }])
      const votes = await openIdbKvStore(name, 'votes')
      stores.push(votes)
      await votes.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(20) }])
      const [state, blocksAgain] = await Promise.all([
        openIdbKvStore(name, 'state'),
        openIdbKvStore(name, 'blocks'),
      ])
      stores.push(state, blocksAgain)
      expect(await blocks.get(Uint8Array.of(1))).toEqual(Uint8Array.of(10))
      expect(await blocksAgain.get(Uint8Array.of(1))).toEqual(Uint8Array.of(10))
      expect(await votes.get(Uint8Array.of(1))).toEqual(Uint8Array.of(20))
      expect(await state.range()).toEqual([])
      await blocks.batch([{ type: 'del', key: Uint8Array.of(1) }])
      expect(await blocksAgain.range()).toEqual([])
      expect(await votes.range()).toEqual([[Uint8Array.of(1), Uint8Array.of(20)]])
    } finally {
      await Promise.all(stores.map((s) => s.close()))
      await deleteIdb(name)
    }
  })
})

describe('IndexedDB KV store and abort signals', () => {
  it('aborts the transaction of a batch whose signal aborts while it runs', async () => {
    const name = `hypermesh-kv-test-${randomBytes(8).toString('hex')}`
    const store = await openIdbKvStore(name)
    try {
      await store.batch([{ type: 'put', key: Uint8Array.of(0xff), value: Uint8Array.of(1) }])
      const controller = new AbortController()
      const ops = Array.from({ length: 200 }, (_, i) => ({
        type: 'put' as const,
        key: Uint8Array.of(i),
        value: Uint8Array.of(i),
      }))
      const batch = store.batch([...ops, { type: 'del', key: Uint8Array.of(0xff) }], {
        signal: controller.signal,
      })
      // One task later the transaction exists and is still working through its 201 requests
      // (IndexedDB runs one request per task), so only abort() can stop it.
      await new Promise((resolve) => setImmediate(resolve))
      controller.abort()
      await expect(batch).rejects.toBe(controller.signal.reason)
      expect(await store.range()).toEqual([[Uint8Array.of(0xff), Uint8Array.of(1)]])
    } finally {
      await store.close()
      await deleteIdb(name)
    }
  })
})

describe('IndexedDB KV store whose database is deleted', () => {
  it('refuses every later call rather than start over empty', async () => {
    const name = `hypermesh-kv-test-${randomBytes(8).toString('hex')}`
    const store = await openIdbKvStore(name)
    try {
      await store.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(1) }])
      // The open handle closes its connection on versionchange, so the deletion goes through.
      await deleteIdb(name)
      const calls = [
        () => store.get(Uint8Array.of(1)),
        () => store.batch([{ type: 'put', key: Uint8Array.of(2), value: Uint8Array.of(2) }]),
        () => store.range(),
      ]
      for (const call of calls) {
        await expect(call()).rejects.toMatchObject({ name: 'KvStoreError', code: 'ERR_KV_STORE' })
      }
      const reopened = await openIdbKvStore(name)
      expect(await reopened.range()).toEqual([])
      await reopened.close()
    } finally {
      await store.close()
      await deleteIdb(name)
    }
  })
})

describe('SQLite KV store file', () => {
  it('is in WAL mode, with one kv table WITHOUT ROWID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hypermesh-kv-store-'))
    try {
      const path = join(dir, 'kv.sqlite')
      const store = await openSqliteKvStore(path)
      await store.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(2) }])
      await store.close()
      const db = new DatabaseSync(path, { readOnly: true })
      try {
        // journal_mode=WAL is stored in the file; synchronous is per connection (set at open).
        expect(db.prepare('PRAGMA journal_mode').get()).toMatchObject({ journal_mode: 'wal' })
        const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
        expect(tables).toEqual([
          expect.objectContaining({ name: 'kv', sql: expect.stringMatching(/WITHOUT ROWID$/) }),
        ])
        const rows = db.prepare('SELECT key, value FROM kv').all()
        expect(rows).toEqual([
          expect.objectContaining({ key: Uint8Array.of(1), value: Uint8Array.of(2) }),
        ])
      } finally {
        db.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

if (databaseUrl !== undefined && databaseUrl !== '') {
  describe('PostgreSQL KV stores in one schema', () => {
    it('keeps one table per store, under the names given', async () => {
      const schema = `kv_store_test_${randomBytes(8).toString('hex')}`
      const blocks = await openPgKvStore({ connectionString: databaseUrl, schema, table: 'blocks' })
      const votes = await openPgKvStore({ connectionString: databaseUrl, schema, table: 'votes' })
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      try {
        await blocks.batch([{ type: 'put', key: Uint8Array.of(1), value: Uint8Array.of(10) }])
        expect(await votes.get(Uint8Array.of(1))).toBeUndefined()
        const { rows } = await client.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
          [schema],
        )
        expect(rows.map((r) => r.table_name)).toEqual(['blocks', 'votes'])
      } finally {
        await Promise.all([blocks.close(), votes.close()])
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      }
    })
  })
}
