import { describe, expect, it } from 'vitest'
import { equivocate, intercept, lyingClock, withhold } from './byzantine'
import { SIM_EPOCH_MS } from './constants'
import { runSeed } from './run'
import { scenarioOf } from './test-support'
import type { NodeId, SimContext, SimProcess } from './types'

interface Seen {
  host: number
  from: NodeId
  byte: number
}

/** Broadcasts its node id once at start, then `echo`es nothing; records what it receives and its clock. */
class Announcer implements SimProcess {
  constructor(
    private readonly seen: Seen[],
    private readonly clocks: Map<number, [number, number]>,
  ) {}
  start(now: number, ctx: SimContext): void {
    this.clocks.set(ctx.self.host, [now, ctx.clock.now()])
    ctx.broadcast(Uint8Array.of(ctx.self.node), 'hello')
  }
  onMessage(from: NodeId, bytes: Uint8Array, _now: number, ctx: SimContext): void {
    this.seen.push({ host: ctx.self.host, from, byte: bytes[0] as number })
  }
  onTimer(): void {}
}

function run(behaviour: string) {
  const seen: Seen[] = []
  const clocks = new Map<number, [number, number]>()
  const scenario = scenarioOf('byz', () => ({
    createProcess: () => new Announcer(seen, clocks),
    byzantine: {
      withhold: (_i, honest) => withhold(honest(), () => true),
      equivocate: (_i, honest) =>
        equivocate(honest(), (b) => Uint8Array.of((b[0] as number) + 100)),
      'lie-time': (_i, honest) => lyingClock(honest(), 60_000),
      deaf: (_i, honest) => intercept(honest(), { incoming: () => false }),
      chatty: (_i, honest) => intercept(honest(), { outgoing: (m) => [m.bytes, m.bytes] }),
    },
  }))
  const faults = behaviour === 'deaf' || behaviour === 'chatty' ? `byz=${behaviour}` : behaviour
  const report = runSeed(scenario, 1, { validators: 4, byzantine: 1, durationMs: 1000, faults })
  const byz = report.byzantineNodes[0]?.node as number
  return { seen, clocks, byz, report }
}

describe('Byzantine wrappers', () => {
  it('withholding drops everything the wrapped process sends', () => {
    const { seen, byz } = run('withhold')
    expect(seen.filter((s) => s.from === byz)).toEqual([])
    expect(seen.filter((s) => s.host === byz)).toHaveLength(3)
  })

  it('equivocation tells odd recipients something else', () => {
    const { seen, byz } = run('equivocate')
    const got = seen.filter((s) => s.from === byz)
    expect(got).toHaveLength(3)
    for (const s of got) expect(s.byte).toBe(s.host % 2 === 1 ? byz + 100 : byz)
  })

  it('a lying clock shifts both now and ctx.clock of the wrapped process only', () => {
    const { clocks, byz } = run('lie-time')
    for (const [host, [now, clock]] of clocks) {
      const expected = SIM_EPOCH_MS + (host === byz ? 60_000 : 0)
      expect([now, clock]).toEqual([expected, expected])
    }
  })

  it('filters incoming messages and can multiply outgoing ones', () => {
    const deaf = run('deaf')
    expect(deaf.seen.filter((s) => s.host === deaf.byz)).toEqual([])
    expect(deaf.report.byzantineNodes).toEqual([{ node: deaf.byz, behaviour: 'deaf' }])
    const chatty = run('chatty')
    expect(chatty.seen.filter((s) => s.from === chatty.byz)).toHaveLength(6)
  })
})
