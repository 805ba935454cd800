/**
 * Building blocks for Byzantine processes. A wrapper runs the honest process of a host behind a
 * context that rewrites what it sends, filters what it receives, or shifts its clock. The
 * protocol-specific part (how to forge a conflicting vote or an invalid block) stays with the
 * scenario; what is generic — expanding broadcasts into per-recipient sends so each recipient can
 * be told something different, dropping, delaying — lives here. Twins need no wrapper: the engine
 * runs two honest processes under one identity (fault `twins`).
 *
 * @example
 * // A validator that withholds its votes:
 * const byzantine = {
 *   withhold: (info, honest) => intercept(honest(), { outgoing: (m) => (m.kind === 'vote' ? null : m.bytes) }),
 * }
 */
import type { Clock } from '../ports'
import type { SimRandom } from './random'
import type { SimStore } from './store'
import type { NodeId, NodeInfo, SimContext, SimProcess } from './types'

/** One outgoing message as a wrapper sees it (a broadcast is seen once per recipient). */
export interface OutgoingMessage {
  readonly to: NodeId
  readonly bytes: Uint8Array
  /** The kind given to send/broadcast, if any. */
  readonly kind: string | undefined
}

/** What `intercept` may change. */
export interface InterceptHooks {
  /**
   * Rewrites an outgoing message: return the bytes to send (the same or others), several byte
   * strings to send several messages, or `null` to drop it.
   */
  outgoing?(message: OutgoingMessage, self: NodeInfo): Uint8Array | readonly Uint8Array[] | null
  /** Returns false to hide an incoming message from the inner process. */
  incoming?(from: NodeId, bytes: Uint8Array, self: NodeInfo): boolean
  /** Added to the clock the inner process reads (and to its `now`): lying timestamps. */
  clockOffsetMs?: number
}

/** The context an intercepted process sees. */
class InterceptedContext<O> implements SimContext<O> {
  readonly clock: Clock

  constructor(
    readonly real: SimContext<O>,
    private readonly hooks: InterceptHooks,
  ) {
    const offset = hooks.clockOffsetMs ?? 0
    this.clock = { now: () => real.clock.now() + offset }
  }

  get self(): NodeInfo {
    return this.real.self
  }
  get nodeCount(): number {
    return this.real.nodeCount
  }
  get validatorCount(): number {
    return this.real.validatorCount
  }
  get random(): SimRandom {
    return this.real.random
  }
  get store(): SimStore {
    return this.real.store
  }

  send(to: NodeId, bytes: Uint8Array, kind?: string): void {
    const hook = this.hooks.outgoing
    if (hook === undefined) {
      this.real.send(to, bytes, kind)
      return
    }
    const out = hook({ to, bytes, kind }, this.real.self)
    if (out === null) return
    if (out instanceof Uint8Array) this.real.send(to, out, kind)
    else for (const b of out) this.real.send(to, b, kind)
  }

  broadcast(bytes: Uint8Array, kind?: string): void {
    if (this.hooks.outgoing === undefined) {
      this.real.broadcast(bytes, kind)
      return
    }
    const self = this.real.self.node
    for (let to = 0; to < this.real.nodeCount; to++) if (to !== self) this.send(to, bytes, kind)
  }

  gossip(bytes: Uint8Array, fanout: number, kind?: string): void {
    if (this.hooks.outgoing === undefined) {
      this.real.gossip(bytes, fanout, kind)
      return
    }
    const self = this.real.self.node
    const others: NodeId[] = []
    for (let to = 0; to < this.real.nodeCount; to++) if (to !== self) others.push(to)
    for (const to of this.real.random.shuffle(others).slice(0, fanout)) this.send(to, bytes, kind)
  }

  setTimer(afterMs: number): number {
    return this.real.setTimer(afterMs)
  }
  cancelTimer(id: number): void {
    this.real.cancelTimer(id)
  }
  output(value: O): void {
    this.real.output(value)
  }
  observe(name: string, value: number): void {
    this.real.observe(name, value)
  }
  count(name: string, by?: number): void {
    this.real.count(name, by)
  }
}

/**
 * Wraps `inner` so that its sends, receives and clock go through `hooks`.
 *
 * @example
 * intercept(honest(), { clockOffsetMs: 60_000 }) // every timestamp it writes is a minute ahead
 */
export function intercept<O>(inner: SimProcess<O>, hooks: InterceptHooks): SimProcess<O> {
  let wrapped: InterceptedContext<O> | null = null
  const offset = hooks.clockOffsetMs ?? 0
  // One context per incarnation: the engine hands the same ctx object to every call.
  const view = (ctx: SimContext<O>): InterceptedContext<O> => {
    if (wrapped === null || wrapped.real !== ctx) wrapped = new InterceptedContext(ctx, hooks)
    return wrapped
  }
  return {
    start(now, ctx) {
      inner.start(now + offset, view(ctx))
    },
    onMessage(from, bytes, now, ctx) {
      if (hooks.incoming !== undefined && !hooks.incoming(from, bytes, ctx.self)) return
      inner.onMessage(from, bytes, now + offset, view(ctx))
    },
    onTimer(id, now, ctx) {
      inner.onTimer(id, now + offset, view(ctx))
    },
  }
}

/**
 * Equivocation: every outgoing message for which `conflicting` returns bytes is sent as the
 * original to one part of the recipients and as the conflicting version to the rest. By default
 * the split is by recipient parity; give `split` to choose.
 */
export function equivocate<O>(
  inner: SimProcess<O>,
  conflicting: (bytes: Uint8Array, kind: string | undefined) => Uint8Array | null,
  split: (to: NodeId) => boolean = (to) => to % 2 === 1,
): SimProcess<O> {
  return intercept(inner, {
    outgoing(m) {
      if (!split(m.to)) return m.bytes
      return conflicting(m.bytes, m.kind) ?? m.bytes
    },
  })
}

/** Withholding: drops every outgoing message for which `withheld` is true. */
export function withhold<O>(
  inner: SimProcess<O>,
  withheld: (bytes: Uint8Array, kind: string | undefined, to: NodeId) => boolean,
): SimProcess<O> {
  return intercept(inner, { outgoing: (m) => (withheld(m.bytes, m.kind, m.to) ? null : m.bytes) })
}

/** Corrupts outgoing messages: `mutate` returns replacement bytes, or `null` to keep a message. */
export function corrupt<O>(
  inner: SimProcess<O>,
  mutate: (bytes: Uint8Array, kind: string | undefined) => Uint8Array | null,
): SimProcess<O> {
  return intercept(inner, { outgoing: (m) => mutate(m.bytes, m.kind) ?? m.bytes })
}

/** Lying timestamps: the inner process reads a clock `offsetMs` away from its host's. */
export function lyingClock<O>(inner: SimProcess<O>, offsetMs: number): SimProcess<O> {
  return intercept(inner, { clockOffsetMs: offsetMs })
}
