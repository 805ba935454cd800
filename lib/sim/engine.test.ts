import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SIM_EPOCH_MS } from './constants'
import type { TraceLine } from './engine'
import { formatFaultSpec } from './fault-spec'
import { matrixTopology } from './network'
import { runSeed, type RunOptions } from './run'
import { toyCounter } from './scenarios/toy-counter'
import { faultItemArb, onceItemsArb, scenarioOf } from './test-support'
import type { NodeId, ScenarioWorld, SimContext, SimProcess } from './types'

/** What the test processes saw, outside the simulation. */
interface Log {
  received: { host: number; from: NodeId; seq: number; incarnation: number }[]
  timers: { host: number; id: number; incarnation: number }[]
  starts: { host: number; local: number; incarnation: number; keys: string[] }[]
}

const newLog = (): Log => ({ received: [], timers: [], starts: [] })

/**
 * Every `periodMs` each host broadcasts (its node, a sequence number); it writes one synced and
 * one unsynced key at start. Optional hooks make it misbehave for the tests.
 */
class Pinger implements SimProcess {
  private seq = 0
  constructor(
    private readonly log: Log,
    private readonly periodMs: number,
    private readonly hooks: {
      onMessage?: (ctx: SimContext) => void
      onStart?: (ctx: SimContext) => void
    } = {},
  ) {}

  start(now: number, ctx: SimContext): void {
    this.log.starts.push({
      host: ctx.self.host,
      local: now,
      incarnation: ctx.self.incarnation,
      keys: ctx.store.keys(),
    })
    ctx.store.put(`synced/${ctx.self.incarnation}`, Uint8Array.of(1))
    ctx.store.sync()
    ctx.store.put(`unsynced/${ctx.self.incarnation}`, Uint8Array.of(2))
    if (this.periodMs > 0) ctx.setTimer(this.periodMs)
    this.hooks.onStart?.(ctx)
  }

  onMessage(from: NodeId, bytes: Uint8Array, _now: number, ctx: SimContext): void {
    const seq = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)
    this.log.received.push({ host: ctx.self.host, from, seq, incarnation: ctx.self.incarnation })
    this.hooks.onMessage?.(ctx)
  }

  onTimer(id: number, _now: number, ctx: SimContext): void {
    this.log.timers.push({ host: ctx.self.host, id, incarnation: ctx.self.incarnation })
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, this.seq++)
    ctx.broadcast(b, 'ping')
    ctx.setTimer(this.periodMs)
  }
}

function pingScenario(
  log: Log,
  periodMs = 50,
  extra: Partial<ScenarioWorld<Pinger>> = {},
  hooks = {},
) {
  return scenarioOf<Pinger>('ping', () => ({
    createProcess: () => new Pinger(log, periodMs, hooks),
    ...extra,
  }))
}

function traced(options: RunOptions): { lines: TraceLine[]; options: RunOptions } {
  const lines: TraceLine[] = []
  return { lines, options: { ...options, trace: (t) => lines.push({ ...t }) } }
}

describe('engine: ordering and determinism', () => {
  it('fires timers by time, then in the order they were armed', () => {
    const fired: number[] = []
    const order = scenarioOf('order', () => ({
      createProcess: () => ({
        start(_now: number, ctx: SimContext) {
          for (const ms of [10, 5, 5, 0, 5]) ctx.setTimer(ms)
        },
        onMessage() {},
        onTimer(id: number) {
          fired.push(id)
        },
      }),
    }))
    runSeed(order, 1, { validators: 1, durationMs: 100 })
    expect(fired).toEqual([4, 2, 3, 5, 1])
  })

  it('replays a seed byte for byte and gives another seed another trace', () => {
    const opts: RunOptions = {
      validators: 5,
      nodes: 4,
      byzantine: 1,
      durationMs: 4000,
      faults: 'loss=0.1,dup=0.05,reorder,partition,crash,restart,skew,churn,equivocate',
    }
    const a = runSeed(toyCounter, 11, opts)
    const b = runSeed(toyCounter, 11, opts)
    expect(a.traceHash).toMatch(/^[0-9a-f]{64}$/)
    expect(b.traceHash).toBe(a.traceHash)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    expect(runSeed(toyCounter, 12, opts).traceHash).not.toBe(a.traceHash)
  })

  it('keeps random streams independent: a different request rate leaves the slot pattern unchanged', () => {
    const rate = (r: string) => runSeed(toyCounter, 3, { durationMs: 1000, options: { rate: r } })
    const a = rate('5')
    const b = rate('50')
    expect(a.traceHash).not.toBe(b.traceHash)
    // Requests bypass the network, so the network stream draws the same numbers in both runs.
    expect(a.counters['value-slots']).toEqual(b.counters['value-slots'])
  })

  it('is deterministic and never throws for arbitrary fault lists', () => {
    fc.assert(
      fc.property(
        fc.array(faultItemArb, { maxLength: 5 }),
        onceItemsArb,
        fc.constantFrom(...(['equivocate', 'withhold', 'invalid', 'lie-time', 'twins'] as const)),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (items, once, behaviour, byzantine, seed) => {
          const spec = [...items, ...once, ...(byzantine ? [{ name: behaviour, params: {} }] : [])]
          const opts: RunOptions = {
            validators: 4,
            nodes: 2,
            byzantine: byzantine ? 1 : 0,
            durationMs: 2000,
            faults: formatFaultSpec(spec),
          }
          const a = runSeed(toyCounter, seed, opts)
          const b = runSeed(toyCounter, seed, { ...opts, faults: spec })
          expect(b.traceHash).toBe(a.traceHash)
          expect(a.violations.filter((v) => v.invariant === 'exception')).toEqual([])
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('engine: network faults', () => {
  const hostOf = (n: number) => n // no twins here: host = node
  it('delivers nothing across a partition until it heals', () => {
    const log = newLog()
    const { lines, options } = traced({
      validators: 4,
      durationMs: 5000,
      faults: 'partition:split=0-1/2-3:at=1s:for=2s',
    })
    runSeed(pingScenario(log), 5, options)
    const side = (h: number) => (h <= 1 ? 0 : 1)
    const messages = lines.filter((l) => l.type === 'message')
    const cross = messages.filter((l) => side(l.host) !== side(hostOf(l.from)))
    expect(cross.some((l) => l.timeMs < 1000)).toBe(true)
    expect(cross.some((l) => l.timeMs > 3000)).toBe(true)
    expect(cross.filter((l) => l.timeMs >= 1000 && l.timeMs <= 3000)).toEqual([])
    expect(
      messages.filter((l) => l.timeMs > 1000 && l.timeMs < 3000 && side(l.host) === side(l.from))
        .length,
    ).toBeGreaterThan(0)
  })

  it('loses everything at loss=1 and duplicates everything at dup=1', () => {
    const lost = runSeed(pingScenario(newLog(), 45), 1, {
      validators: 3,
      durationMs: 1000,
      faults: 'loss=1,heal=1s',
    })
    expect(lost.messages.delivered).toBe(0)
    expect(lost.messages.dropped.loss).toBe(lost.messages.sent)
    const dup = runSeed(pingScenario(newLog(), 45), 1, {
      validators: 3,
      durationMs: 1000,
      faults: 'dup=1,heal=1s',
    })
    expect(dup.messages.duplicated).toBe(dup.messages.sent)
    expect(dup.messages.delivered).toBeGreaterThan(1.8 * dup.messages.sent)
  })

  it('keeps per-link order without reordering and breaks it with reordering', () => {
    const inOrder = (log: Log): boolean => {
      const last = new Map<string, number>()
      for (const r of log.received) {
        const k = `${r.from}->${r.host}`
        if ((last.get(k) ?? -1) > r.seq) return false
        last.set(k, r.seq)
      }
      return true
    }
    const fifo = newLog()
    runSeed(pingScenario(fifo, 5), 1, { validators: 3, durationMs: 2000, faults: 'jitter=80' })
    expect(inOrder(fifo)).toBe(true)
    const shuffled = newLog()
    runSeed(pingScenario(shuffled, 5), 1, {
      validators: 3,
      durationMs: 2000,
      faults: 'reorder=0.3:ms=80',
    })
    expect(inOrder(shuffled)).toBe(false)
  })

  it('uses the scenario topology and counts messages and bytes per kind', () => {
    const matrix = [
      [0, 7, 7],
      [7, 0, 7],
      [7, 7, 0],
    ]
    const r = runSeed(
      pingScenario(newLog(), 100, { topology: matrixTopology(matrix), network: { jitterMs: 0 } }),
      1,
      {
        validators: 3,
        durationMs: 1000,
      },
    )
    expect(r.distributions['message-delay-ms']).toMatchObject({ min: 7, max: 7 })
    expect(r.messages.byKind.ping?.bytesSent).toBe(4 * r.messages.byKind.ping!.sent)
  })
})

describe('engine: crashes, restarts, storage and clocks', () => {
  it('loses unsynced writes in a crash only when asked', () => {
    for (const [lose, expected] of [
      ['all', ['synced/0']],
      ['none', ['synced/0', 'unsynced/0']],
    ] as const) {
      const log = newLog()
      runSeed(pingScenario(log, 0), 1, {
        validators: 1,
        durationMs: 2000,
        faults: `crash:at=500ms:lose=${lose},restart=500ms`,
      })
      expect(log.starts.map((s) => [s.incarnation, s.keys])).toEqual([
        [0, []],
        [1, expected],
      ])
    }
  })

  it('drops the timers and in-flight messages of a crashed host', () => {
    const log = newLog()
    const sendOnce = {
      onStart: (ctx: SimContext) => {
        if (ctx.self.node === 0) ctx.send(1, Uint8Array.of(0, 0, 0, 9))
        if (ctx.self.node === 1 && ctx.self.incarnation === 0) ctx.setTimer(100)
      },
    }
    const r = runSeed(pingScenario(log, 0, {}, sendOnce), 1, {
      validators: 1,
      nodes: 1,
      durationMs: 1000,
      faults: 'crash:who=nodes:at=1ms,restart=1ms',
    })
    expect(log.received).toEqual([])
    expect(log.timers).toEqual([])
    expect(r.messages.dropped.down).toBe(1)
    expect(log.starts.filter((s) => s.host === 1).map((s) => s.incarnation)).toEqual([0, 1])
  })

  it('restarts every crashed host at the heal', () => {
    const log = newLog()
    runSeed(pingScenario(log, 0), 1, {
      validators: 3,
      durationMs: 2000,
      faults: 'crash=3:at=100ms',
    })
    expect(
      log.starts
        .filter((s) => s.incarnation === 1)
        .map((s) => s.host)
        .sort(),
    ).toEqual([0, 1, 2])
  })

  it('skews only the local clocks: virtual delivery times are unchanged', () => {
    const run = (faults: string) => {
      const log = newLog()
      const t = traced({ validators: 4, durationMs: 1000, faults })
      runSeed(pingScenario(log, 50), 2, t.options)
      const events = t.lines
        .filter((l) => l.type !== 'fault')
        .map((l) => [l.timeMs, l.type, l.host, l.from])
      return { log, events }
    }
    const plain = run('none')
    const skewed = run('skew=300')
    expect(skewed.events).toEqual(plain.events)
    expect(plain.log.starts.every((s) => s.local === SIM_EPOCH_MS)).toBe(true)
    const offsets = skewed.log.starts.map((s) => s.local - SIM_EPOCH_MS)
    expect(offsets.some((o) => o !== 0)).toBe(true)
    expect(offsets.every((o) => Math.abs(o) <= 300)).toBe(true)
  })

  it('makes a drifting clock fire local-time timers early in virtual time', () => {
    const times: number[] = []
    const drift = scenarioOf('drift', () => ({
      createProcess: () => ({
        start(_n: number, ctx: SimContext) {
          ctx.setTimer(1000)
        },
        onMessage() {},
        onTimer() {},
      }),
    }))
    runSeed(drift, 1, {
      validators: 1,
      durationMs: 2000,
      faults: 'skew=1ms:drift=100000',
      trace: (t) => {
        if (t.type === 'timer') times.push(t.timeMs)
      },
    })
    expect(times).toHaveLength(1)
    expect(times[0]).not.toBe(1000)
    expect(Math.abs((times[0] as number) - 1000)).toBeLessThanOrEqual(1000 * (1 - 1 / 1.1) + 1e-6)
  })

  it('runs twins as two hosts of one identity that both receive its messages', () => {
    const log = newLog()
    const r = runSeed(pingScenario(log, 100), 4, {
      validators: 4,
      byzantine: 1,
      durationMs: 1000,
      faults: 'twins',
    })
    expect(r.hosts).toBe(5)
    const twin = r.byzantineNodes[0]?.node as number
    const hostsOfTwin = new Set(
      log.received.filter((m) => m.host === 4 || m.host === twin).map((m) => m.host),
    )
    expect(hostsOfTwin).toEqual(new Set([twin, 4]))
    // Other nodes hear from the twin identity twice as often.
    const heard = log.received.filter((m) => m.host !== twin && m.host !== 4)
    const fromTwin = heard.filter((m) => m.from === twin).length
    const fromOther = heard.filter((m) => m.from === (twin + 1) % 4).length
    expect(fromTwin).toBeGreaterThan(1.8 * fromOther)
  })

  it('fans gossip out to distinct other identities', () => {
    const targets: number[][] = []
    const g = scenarioOf('gossip', () => ({
      createProcess: () => ({
        start(_n: number, ctx: SimContext) {
          if (ctx.self.node === 0) for (let i = 0; i < 20; i++) ctx.gossip(Uint8Array.of(i), 3, 'g')
        },
        onMessage(from: NodeId, bytes: Uint8Array, _n: number, ctx: SimContext) {
          ;(targets[bytes[0] as number] ??= []).push(ctx.self.node)
          expect(from).toBe(0)
        },
        onTimer() {},
      }),
    }))
    const r = runSeed(g, 1, { validators: 10, durationMs: 1000 })
    expect(r.messages.byKind.g?.sent).toBe(60)
    for (const t of targets) {
      expect(new Set(t).size).toBe(3)
      expect(t).not.toContain(0)
    }
  })
})

describe('engine: invariants and liveness', () => {
  it('records a violation with its event index and virtual time, and stops at the first by default', () => {
    const log = newLog()
    const scenario = pingScenario(log, 50, {
      invariants: [
        {
          name: 'at-most-five-messages',
          afterEvent: (_view, step) =>
            step.type === 'message' && log.received.length > 5
              ? `host ${step.host} got message ${log.received.length}`
              : undefined,
        },
      ],
    })
    const t = traced({ validators: 3, durationMs: 2000 })
    const r = runSeed(scenario, 1, t.options)
    expect(r.ok).toBe(false)
    expect(r.stoppedEarly).toBe(true)
    expect(r.violations).toHaveLength(1)
    const v = r.violations[0]!
    expect(v.invariant).toBe('at-most-five-messages')
    const line = t.lines[v.eventIndex]!
    expect(line.type).toBe('message')
    expect(line.timeMs).toBe(v.timeMs)
    expect(t.lines.at(-1)?.index).toBe(v.eventIndex)
    const all = runSeed(
      pingScenario(newLog(), 50, {
        invariants: [
          { name: 'never', afterEvent: (_v, s) => (s.type === 'timer' ? 'x' : undefined) },
        ],
      }),
      1,
      {
        validators: 2,
        durationMs: 500,
        stopOnViolation: false,
      },
    )
    expect(all.violations.length).toBeGreaterThan(2)
    expect(all.stoppedEarly).toBe(false)
  })

  it('reports a missed liveness deadline after the heal, and the recovery time when progress comes', () => {
    let progress = 0
    const stuck = pingScenario(newLog(), 50, {
      liveness: { name: 'stuck', deadlineMs: 1000, progress: () => 0 },
    })
    const r = runSeed(stuck, 1, { validators: 2, durationMs: 2000, faults: 'loss=0.1' })
    expect(r.violations.map((v) => v.invariant)).toEqual(['liveness:stuck'])
    expect(r.violations[0]?.timeMs).toBe(1200 + 1000)
    expect(r.endMs).toBe(2200)
    const moving = pingScenario(newLog(), 50, {
      liveness: { name: 'moving', deadlineMs: 1000, progress: () => progress++ },
    })
    const ok = runSeed(moving, 1, { validators: 2, durationMs: 2000, faults: 'loss=0.1' })
    expect(ok.ok).toBe(true)
    expect(ok.liveness?.windowStartMs).toBe(1200)
    expect(ok.liveness?.recoveredAfterMs).not.toBeNull()
  })

  it('records a process that throws as an exception violation with the error name and code', () => {
    const r = runSeed(
      pingScenario(newLog(), 50, {}, { onMessage: (ctx: SimContext) => ctx.setTimer(-1) }),
      1,
      {
        validators: 2,
        durationMs: 1000,
      },
    )
    expect(r.violations).toHaveLength(1)
    expect(r.violations[0]).toMatchObject({
      invariant: 'exception',
      error: { name: 'SimUsageError', code: 'ERR_SIM_USAGE' },
    })
  })

  it('records a factory that throws at a restart as an exception, and lists twins with hostsOf', () => {
    const log = newLog()
    const scenario = scenarioOf<Pinger>('fragile', () => ({
      createProcess: (info) => {
        if (info.incarnation > 0) throw new RangeError('corrupt store')
        return new Pinger(log, 50)
      },
      invariants: [
        {
          name: 'twins-visible',
          afterEvent: (view) => {
            const twin = view.hosts[2]?.info.node ?? -1
            return view.hostsOf(twin).length === 2 && view.hostsOf(1 - twin).length === 1
              ? undefined
              : 'the twin identity should have two hosts'
          },
        },
      ],
    }))
    const r = runSeed(scenario, 1, {
      validators: 2,
      byzantine: 1,
      durationMs: 1000,
      faults: 'twins,crash=1:at=100ms,restart=10ms',
    })
    expect(r.violations).toMatchObject([
      { invariant: 'exception', timeMs: 110, error: { name: 'RangeError' } },
    ])
  })

  it('ends a zero-delay timer loop with an event-budget violation', () => {
    const loop = scenarioOf('loop', () => ({
      createProcess: () => ({
        start(_n: number, ctx: SimContext) {
          ctx.setTimer(0)
        },
        onMessage() {},
        onTimer(_id: number, _n: number, ctx: SimContext) {
          ctx.setTimer(0)
        },
      }),
    }))
    const r = runSeed(loop, 1, { validators: 1, durationMs: 1000, maxEvents: 1000 })
    expect(r.violations.map((v) => v.invariant)).toEqual(['event-budget'])
    expect(r.events).toBe(1000)
  })
})
