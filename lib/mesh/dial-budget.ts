/**
 * Chromium lets a tab create at most 500 RTCPeerConnections over its lifetime (they are not
 * reclaimed on close). Every WebRTC dial attempt and every accepted WebRTC connection spends one;
 * the budget keeps a reserve for inbound connections so a tab that has dialled a lot can still be
 * reached.
 */
export class ConnectionBudget {
  readonly limit: number
  readonly inboundReserve: number
  #spent = 0

  /** `limit` creations in all; outbound dials stop `inboundReserve` short of it. */
  constructor(limit = 450, inboundReserve = 50) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError('ConnectionBudget: limit must be a positive integer')
    if (!Number.isInteger(inboundReserve) || inboundReserve < 0 || inboundReserve > limit) {
      throw new RangeError('ConnectionBudget: inboundReserve must be in [0, limit]')
    }
    this.limit = limit
    this.inboundReserve = inboundReserve
  }

  /** RTCPeerConnections created so far. */
  get spent(): number {
    return this.#spent
  }

  /** Whether an outbound dial may start now. */
  canDial(): boolean {
    return this.#spent < this.limit - this.inboundReserve
  }

  /** Whether an inbound connection may be kept. */
  canAccept(): boolean {
    return this.#spent < this.limit
  }

  /** Record one creation. */
  spend(): void {
    this.#spent++
  }
}

/** Exponential back-off per peer for failed dials: base·2^failures, capped. */
export class DialBackoff {
  readonly #failures = new Map<string, { count: number; until: number }>()
  constructor(
    readonly baseMs = 2_000,
    readonly maxMs = 60_000,
  ) {}

  /** Whether `peer` may be dialled at `now`. */
  ready(peer: string, now: number): boolean {
    const f = this.#failures.get(peer)
    return f === undefined || now >= f.until
  }

  /** Record a failed dial at `now`. */
  failed(peer: string, now: number): void {
    const count = (this.#failures.get(peer)?.count ?? 0) + 1
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (count - 1))
    this.#failures.set(peer, { count, until: now + delay })
  }

  /** Forget failures (after a success). */
  succeeded(peer: string): void {
    this.#failures.delete(peer)
  }
}
