import { createServer } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { readServerConfig } from '../config'
import { systemClock } from '../../ports'
import { TrustchainService } from './service'
import { handleTrustchainRequest } from './http'

/** A TrustChain server for integration tests: the real service on a temp SQLite log, over a socket. */
export interface TestTrustchain {
  service: TrustchainService
  /** `http://127.0.0.1:<port>` */
  base: string
  close(): Promise<void>
}

/**
 * Start the real service (CA, SQLite log in a temp DATA_DIR, HTTP routes) on 127.0.0.1, with a low
 * hashcash difficulty and a lifted rate limit so tests can issue many certificates quickly.
 */
export async function startTestTrustchain(prefix: string): Promise<TestTrustchain> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix))
  const service = await TrustchainService.open(
    readServerConfig({
      DATA_DIR: dataDir,
      HASHCASH_BITS: '8',
      ISSUE_RATE_PER_MINUTE: '600',
      ISSUE_BURST: '200',
    }),
    systemClock,
  )
  const server = createServer((req, res) => {
    void handleTrustchainRequest(req, res, service, 'test-client').then((handled) => {
      if (!handled) res.writeHead(404).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    service,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.close()
      await service.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
