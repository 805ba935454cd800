/**
 * The TrustChain service alone (DESIGN.md §3): the certificate authority, the transparency log and
 * their HTTP API (`/api/trustchain/*`, and the tlog-tiles tree under `/log/`) behind a plain
 * node:http server, without Next.js or the bootstrap relay. For an operator who runs the log on a
 * machine of its own or inspects a data folder, and for the crash test
 * (lib/server/trustchain/crash.integration.test.ts), which `kill -9`s it under load.
 *
 *   DATA_DIR=./data PORT=3000 npx tsx bin/trustchain-log.ts
 *   DATABASE_URL=postgres://localhost/hypermesh DATABASE_SCHEMA=log PORT=0 \
 *     node --import tsx bin/trustchain-log.ts
 *
 * Environment: the TrustChain settings of `readServerConfig` (README "Configuration"): `DATA_DIR`
 * (key files, and the SQLite log unless `DATABASE_URL` is set), `DATABASE_URL`, `HOST`,
 * `HASHCASH_BITS`, `ISSUE_RATE_PER_MINUTE`, `ISSUE_BURST`, `CERT_VALIDITY_HOURS`, `LOG_ORIGIN`,
 * `TRUSTCHAIN_ADMIN_KEY`; and two of its own:
 *
 * - `PORT`: the HTTP port, default 3000; `0` takes any free port (read the answer on stdout).
 * - `DATABASE_SCHEMA`: the PostgreSQL schema holding the log's tables, default `public`; needs
 *   `DATABASE_URL`. Lets several logs share one database.
 *
 * Once it listens, it prints one JSON line on stdout and nothing else there:
 * `{"port":3000,"host":"0.0.0.0","origin":"hypermesh/trustchain/…","size":1234}` (size = entries
 * in the log at start). On SIGTERM or SIGINT it stops accepting connections, lets requests already
 * received finish (at most 5 s), closes the log and exits 0. Entries are answered only once they
 * are durable, so a `kill -9` loses no certificate that got an answer.
 *
 * `npx tsx` runs the server in a child of the tsx command, which forwards SIGTERM but cannot
 * forward SIGKILL: a supervisor that must signal the server process itself starts it with
 * `node --import tsx bin/trustchain-log.ts`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { openPgLogStore } from '../lib/adapters/pg-log-store'
import { readServerConfig } from '../lib/server/config'
import { handleTrustchainRequest } from '../lib/server/trustchain/http'
import { TrustchainService } from '../lib/server/trustchain/service'
import { systemClock } from '../lib/ports'

/** How long a shutdown waits for requests already received before it cuts their connections. */
const SHUTDOWN_GRACE_MS = 5_000

/** `PORT` as this entry reads it: readServerConfig refuses 0, which here means "any free port". */
function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 3000
  const n = Number(value)
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new Error(`config: PORT must be an integer in [0, 65535], got "${value}"`)
  }
  return n
}

async function main(): Promise<void> {
  const { PORT, DATABASE_SCHEMA, ...env } = process.env
  const port = portFrom(PORT)
  const config = readServerConfig(env)
  const schema = DATABASE_SCHEMA === undefined || DATABASE_SCHEMA === '' ? null : DATABASE_SCHEMA
  if (schema !== null && config.databaseUrl === null) {
    throw new Error('config: DATABASE_SCHEMA needs DATABASE_URL (it names a PostgreSQL schema)')
  }
  // Without a schema, TrustchainService.open picks the store itself (PostgreSQL's public schema
  // or SQLite in DATA_DIR); it closes a store handed to it if opening fails.
  const store =
    schema !== null && config.databaseUrl !== null
      ? await openPgLogStore({ connectionString: config.databaseUrl, schema })
      : undefined
  const trustchain = await TrustchainService.open(config, systemClock, store)

  let stopping = false
  const server = createServer((req, res) => {
    // Once stopping, no connection is kept alive for another request.
    if (stopping) res.setHeader('connection', 'close')
    handleTrustchainRequest(req, res, trustchain, req.socket.remoteAddress ?? 'unknown')
      .then((handled) => {
        if (handled) return
        const body = JSON.stringify({
          error: { name: 'NotFound', code: 'ERR_NOT_FOUND', message: 'Not a TrustChain route.' },
        })
        res.writeHead(404, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        })
        res.end(body)
      })
      .catch((err: unknown) => {
        console.error('request failed:', err)
        res.destroy()
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  console.log(
    JSON.stringify({
      port: bound,
      host: config.host,
      origin: trustchain.origin,
      size: trustchain.sequencer.head().size,
    }),
  )

  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.error(`${signal}: stopping`)
    const drained = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS)
    cut.unref()
    // The log closes only after the last request finished: an issuance in its batch still gets
    // its answer, and none is refused half-way by a closed store.
    void drained
      .then(() => trustchain.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          console.error('TrustChain log did not close cleanly:', err)
          process.exit(1)
        },
      )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  console.error('TrustChain log failed to start:', err)
  process.exit(1)
})
