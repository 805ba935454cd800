import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { runLogStoreContract } from '../trustchain/log-store-contract'
import { createMemoryLogStore, MemoryLogState } from './memory-log-store'
import { openPgLogStore } from './pg-log-store'
import { openSqliteLogStore } from './sqlite-log-store'

runLogStoreContract('memory', async () => {
  const state = new MemoryLogState()
  return { open: async () => createMemoryLogStore(state), teardown: async () => undefined }
})

runLogStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hypermesh-log-store-'))
  const path = join(dir, 'log.sqlite')
  return {
    open: () => openSqliteLogStore(path),
    teardown: () => rm(dir, { recursive: true, force: true }),
  }
})

const databaseUrl = process.env.TEST_DATABASE_URL

if (databaseUrl === undefined || databaseUrl === '') {
  console.log('PostgreSQL log store contract not run: set TEST_DATABASE_URL to run it.')
} else {
  runLogStoreContract('PostgreSQL', async () => {
    // A schema of its own per test and per property run, dropped afterwards.
    const schema = `log_store_test_${randomBytes(8).toString('hex')}`
    return {
      open: () => openPgLogStore({ connectionString: databaseUrl, schema }),
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

// The contract shares one file between connections of one process; this is the multi-process
// case the sequencer meets when two server processes share a data folder.
describe('SQLite log store shared by several processes', () => {
  it('sequences every batch of every process exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hypermesh-log-store-'))
    try {
      const path = join(dir, 'log.sqlite')
      const adapter = fileURLToPath(new URL('./sqlite-log-store.ts', import.meta.url))
      const script = join(dir, 'writer.mts')
      await writeFile(script, WRITER_SCRIPT.replace('ADAPTER', JSON.stringify(adapter)))
      const PROCESSES = 3
      const BATCHES = 15
      const repo = fileURLToPath(new URL('../..', import.meta.url))
      await Promise.all(
        Array.from({ length: PROCESSES }, (_, w) =>
          runProcess(repo, ['--import', 'tsx', script, path, `w${w}`, String(BATCHES)]),
        ),
      )
      const store = await openSqliteLogStore(path)
      try {
        const size = PROCESSES * BATCHES * 2
        const head = await store.head()
        expect(head?.size).toBe(size)
        const labels = (await store.entries(0, size)).map((e) => new TextDecoder().decode(e))
        const expected = Array.from({ length: PROCESSES }, (_, w) =>
          Array.from({ length: BATCHES }, (_, i) => [`w${w}-${i}-0`, `w${w}-${i}-1`]).flat(),
        ).flat()
        expect([...labels].sort()).toEqual(expected.sort())
        for (let n = 0; n < size; n += 2) {
          expect(labels[n + 1]).toBe(labels[n]!.slice(0, -1) + '1')
          expect(await store.checkpointAt(n + 2)).toBe(`size ${n + 2}`)
        }
      } finally {
        await store.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** Appends `batches` two-entry batches with compare-and-swap retries, from its own process. */
const WRITER_SCRIPT = `
import { openSqliteLogStore } from ADAPTER
const [path, name, batches] = process.argv.slice(2)
const store = await openSqliteLogStore(path)
const hash = (n) => new Uint8Array(32).fill(n % 251)
for (let i = 0; i < Number(batches); i++) {
  for (;;) {
    const oldSize = (await store.head())?.size ?? 0
    const batch = {
      entries: [0, 1].map((k) => new TextEncoder().encode(name + '-' + i + '-' + k)),
      hashes: [0, 1].map((k) => ({ index: oldSize + k, hash: hash(oldSize + k) })),
      head: { size: oldSize + 2, rootHash: hash(oldSize + 2), checkpoint: 'size ' + (oldSize + 2) },
    }
    try {
      await store.append(oldSize, batch)
      break
    } catch (err) {
      if (err.name !== 'HeadMovedError') throw err
    }
  }
}
await store.close()
`

function runProcess(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`writer exited with ${code}: ${stderr}`))
    })
  })
}
