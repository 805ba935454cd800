import { peerIdFromString } from '@libp2p/peer-id'
import { handlePerf, measureStream } from '@/lib/mesh/perf'
import type { MeshNode } from '@/lib/mesh/node'
import type { AssetsBenchApi } from './bench-assets'

/** `window.hypermeshBench`, present only on pages opened with `?bench` (npm run bench). */
export interface HypermeshBenchApi {
  /** Send `bytes` over one libp2p stream to a direct peer; goodput in Mbit/s. */
  stream(peerId: string, bytes: number): Promise<{ bytes: number; ms: number; mbps: number }>
  /**
   * Send `credits` to `toKeyHex` on the ledger and wait until this tab's chain has the
   * transaction in a committed block; times in ms from the call (performance.now()).
   */
  transfer(
    toKeyHex: string,
    credits: string,
  ): Promise<{ pooledMs: number; committedMs: number; height: number }>
  /** Stake `credits` and wait until the stake transaction is committed. */
  stake(credits: string): Promise<{ committedMs: number; height: number }>
  /**
   * Remote memory against a raw stream, and the resource adapter's timings (bench-assets.ts, a
   * bundle of its own); absent until it has loaded.
   */
  assets?: AssetsBenchApi
}

async function untilCommitted(
  hash: string,
  t0: number,
): Promise<{ committedMs: number; height: number }> {
  const { chainRequest } = await import('./chain-bridge')
  for (;;) {
    const found = await chainRequest('tx', { hash })
    if (found !== null) return { committedMs: performance.now() - t0, height: found.height }
    await new Promise((r) => setTimeout(r, 10))
  }
}

declare global {
  interface Window {
    hypermeshBench?: HypermeshBenchApi
  }
}

/** Register the perf protocol and expose the bench API (bench mode only: it lets peers send us bulk data). */
export async function exposeBenchApi(node: MeshNode): Promise<void> {
  await handlePerf(node.libp2p)
  window.hypermeshBench = {
    stream: (peerId, bytes) => measureStream(node.libp2p, peerIdFromString(peerId), bytes),
    async transfer(to, credits) {
      const { chainRequest } = await import('./chain-bridge')
      const t0 = performance.now()
      const { txHash } = await chainRequest('transfer', { to, amount: credits })
      const pooledMs = performance.now() - t0
      return { pooledMs, ...(await untilCommitted(txHash, t0)) }
    },
    async stake(credits) {
      const { chainRequest } = await import('./chain-bridge')
      const t0 = performance.now()
      const { txHash } = await chainRequest('stake', { amount: credits })
      return untilCommitted(txHash, t0)
    },
  }
  // Its own bundle (scripts/build-node.mjs), loaded on bench pages only.
  const { benchAssetsApi } = await import('./bench-assets')
  window.hypermeshBench.assets = await benchAssetsApi(node)
}
