import type { IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'
import { nodeEd25519Verifier } from '@/lib/adapters/ed25519-node'
import { libp2pChainNetwork } from '@/lib/adapters/libp2p-chain-network'
import { openSqliteKvStore } from '@/lib/adapters/sqlite-kv-store'
import { LedgerService } from '@/lib/chain/ledger-service'
import { chainTimeoutHeaders, type ChainTimeouts } from '@/lib/chain/timeouts'
import { decodeLedgerState, encodeLedgerState } from '@/lib/ledger/snapshot'
import type { KvStore } from '@/lib/kv/kv-store'
import { systemClock } from '@/lib/ports'
import type { ServerConfig } from '../config'
import { loadOrCreateServerChain, type ServerChain } from './genesis-file'

/**
 * The server's part of the ledger (DESIGN.md §2): it serves the genesis to tabs
 * (`GET /api/chain/genesis`) and, unless `HYPERMESH_ANCHOR=0`, runs the anchor validator on the
 * bootstrap node's gossipsub, with blocks in DATA_DIR/chain.sqlite. The anchor keeps a network of
 * one tab finalizing and is the first peer tabs sync from.
 */
export class ServerChainService {
  readonly chain: ServerChain
  readonly anchor: LedgerService | null
  /** The block and empty-block intervals every validator of this deployment uses. */
  readonly timeouts: ChainTimeouts
  readonly #kv: KvStore | null
  readonly #stopNetwork: (() => Promise<void>) | null

  private constructor(
    chain: ServerChain,
    anchor: LedgerService | null,
    kv: KvStore | null,
    stop: (() => Promise<void>) | null,
    timeouts: ChainTimeouts,
  ) {
    this.chain = chain
    this.timeouts = timeouts
    this.anchor = anchor
    this.#kv = kv
    this.#stopNetwork = stop
  }

  /** Load or create the chain; start the anchor when configured. */
  static async open(
    config: ServerConfig,
    libp2p: Libp2p<{ pubsub: GossipSub }>,
    trustchainRoot: Uint8Array,
  ): Promise<ServerChainService> {
    const chain = await loadOrCreateServerChain({
      dataDir: config.dataDir,
      config: config.chain,
      trustchainRoot,
      now: Date.now(),
    })
    const timeouts: ChainTimeouts = {
      commit: config.chain.blockIntervalMs,
      idle: config.chain.idleBlockIntervalMs,
    }
    if (!config.chain.anchor) {
      return new ServerChainService(chain, null, null, null, timeouts)
    }
    const kv = await openSqliteKvStore(join(config.dataDir, 'chain.sqlite'))
    const network = await libp2pChainNetwork(libp2p)
    const anchor = new LedgerService(
      { genesis: chain.genesis, timeouts },
      {
        secretKey: chain.anchorSecret,
        kv,
        network,
        verifier: nodeEd25519Verifier(),
        stateCodec: { encode: encodeLedgerState, decode: decodeLedgerState },
        clock: systemClock,
      },
    )
    await anchor.start()
    return new ServerChainService(chain, anchor, kv, () => network.stop(), timeouts)
  }

  /** Serve `/api/chain/*`; returns false for other paths. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (!url.pathname.startsWith('/api/chain/')) return false
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end()
      return true
    }
    if (url.pathname === '/api/chain/genesis') {
      res.writeHead(200, {
        'content-type': 'application/cbor',
        'cache-control': 'no-cache',
        'x-chain-id': this.chain.genesis.chainId,
        // Not part of the genesis (not consensus rules): the timeouts validators use.
        ...chainTimeoutHeaders(this.timeouts),
      })
      res.end(Buffer.from(this.chain.genesisBytes))
      return true
    }
    if (url.pathname === '/api/chain/status') {
      const body =
        this.anchor === null
          ? { chainId: this.chain.genesis.chainId, anchor: null }
          : {
              chainId: this.chain.genesis.chainId,
              anchor: this.anchor.summary(),
            }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(body))
      return true
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { name: 'NotFound', message: `no route ${url.pathname}` } }))
    return true
  }

  async close(): Promise<void> {
    await this.anchor?.stop()
    await this.#stopNetwork?.()
    await this.#kv?.close()
  }
}
