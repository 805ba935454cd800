/**
 * The deployment's block timing, passed from the server to every node with the genesis (GET
 * /api/chain/genesis): not consensus rules, but validators that disagree on them waste rounds.
 *
 * - `x-block-interval-ms`: the commit timeout, the shortest time between two blocks;
 * - `x-idle-block-interval-ms`: the empty-block interval, the longest wait for work after a commit.
 */
import type { TimeoutConfig } from '@/lib/consensus/core'

/** The two timeouts a deployment sets; the others keep the core's defaults. */
export type ChainTimeouts = Pick<TimeoutConfig, 'commit' | 'idle'>

const HEADERS = { commit: 'x-block-interval-ms', idle: 'x-idle-block-interval-ms' } as const

/** Upper bounds accepted from a server: beyond them a header is ignored as nonsense. */
const MAX_MS = { commit: 60_000, idle: 600_000 } as const

/** The response headers that announce `timeouts`. */
export function chainTimeoutHeaders(timeouts: ChainTimeouts): Record<string, string> {
  return { [HEADERS.commit]: String(timeouts.commit), [HEADERS.idle]: String(timeouts.idle) }
}

/**
 * Read the timeouts from response headers. A header that is missing or not an integer in range
 * is left out (the core's default applies), never an error: the server is trusted for these.
 *
 * @example
 * ```ts
 * const timeouts = chainTimeoutsFromHeaders((name) => res.headers.get(name))
 * ```
 */
export function chainTimeoutsFromHeaders(
  get: (name: string) => string | null,
): Partial<ChainTimeouts> {
  const out: Partial<ChainTimeouts> = {}
  for (const key of ['commit', 'idle'] as const) {
    const raw = get(HEADERS[key])
    if (raw === null || !/^\d{1,7}$/.test(raw)) continue
    const ms = Number(raw)
    if (ms <= MAX_MS[key]) out[key] = ms
  }
  return out
}
