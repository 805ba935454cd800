/**
 * The HyperMesh server: one Node.js process running the Next.js site and API, and the thin
 * bootstrap libp2p node (relay + gossip) beside it. Started by `npm start` (scripts/start.mjs).
 */
import next from 'next'
import { createServer } from 'node:http'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { BootstrapNode } from '../lib/server/bootstrap'
import { readServerConfig } from '../lib/server/config'
import { registerServices } from '../lib/server/registry'
import { TrustchainService } from '../lib/server/trustchain/service'
import { handleTrustchainRequest } from '../lib/server/trustchain/http'
import { ServerChainService } from '../lib/server/chain/service'
import { systemClock } from '../lib/ports'

async function main(): Promise<void> {
  const dev = process.argv.includes('--dev')
  const config = readServerConfig(process.env, dev)
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }

  const bootstrap = new BootstrapNode(config)
  await bootstrap.start()
  const trustchain = await TrustchainService.open(config, systemClock)
  registerServices({ config, bootstrap, startedAt: Date.now(), version: pkg.version })
  const chain = await ServerChainService.open(
    config,
    bootstrap.node as never,
    trustchain.root.subjectPublicKey,
  )

  if (dev) {
    // The tab's node is its own bundle (public/node/boot.js); keep it current while developing.
    const watcher = spawn(process.execPath, ['scripts/build-node.mjs', '--watch'], {
      stdio: 'inherit',
    })
    process.on('exit', () => watcher.kill())
  }

  const app = next({ dev, dir: process.cwd(), hostname: config.host, port: config.port })
  await app.prepare()
  const handle = app.getRequestHandler()
  const server = createServer((req, res) => {
    // TrustChain's API and log tiles are served here, not through Next.js: issuance is a hot path.
    handleTrustchainRequest(req, res, trustchain, req.socket.remoteAddress ?? 'unknown')
      .then(async (handled) => {
        if (!handled && !(await chain.handle(req, res))) void handle(req, res)
      })
      .catch((err: unknown) => {
        console.error('request failed:', err)
        res.destroy()
      })
  })
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve))

  const health = bootstrap.health()
  console.log(`HyperMesh ${pkg.version} on http://localhost:${config.port}`)
  console.log(`bootstrap relay ${health.peerId}`)
  console.log(`trustchain log ${trustchain.origin} (size ${trustchain.sequencer.head().size})`)
  for (const addr of health.listen) console.log(`  listening ${addr}`)
  console.log(
    `ledger ${chain.chain.genesis.chainId}` +
      (chain.anchor === null
        ? ' (no anchor validator here: HYPERMESH_ANCHOR=0)'
        : ' with the anchor validator'),
  )

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    server.close()
    server.closeAllConnections()
    void Promise.allSettled([chain.close(), bootstrap.stop(), trustchain.close()]).finally(() =>
      process.exit(0),
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  console.error('HyperMesh server failed to start:', err)
  process.exit(1)
})
