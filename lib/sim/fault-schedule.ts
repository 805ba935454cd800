/**
 * Turns a fault list into the concrete schedule of one run: which validators are Byzantine and
 * how, which hosts exist (twins add one), and timed actions (crash host 3 at 1234 ms…). Times and
 * victims not given in the list are drawn from the run's `faults` stream. Every schedule with a
 * disruptive fault ends with a "heal everything" action, after which no fault is scheduled, so
 * liveness after healing can be checked.
 */
import { DEFAULT_HEAL_FRACTION, DEFAULT_RESTART_AFTER_MS, DEFAULT_SKEW_MS } from './constants'
import { FaultSpecError, SimConfigError } from './errors'
import {
  byzantineBehaviour,
  formatFaultSpec,
  isByzantineItem,
  parseSplit,
  type FaultItem,
  type FaultSpec,
} from './fault-spec'
import type { LinkConditions } from './network'
import type { CrashLoss } from './store'
import type { SimRandom } from './random'
import type { HostId, NodeId, NodeRole } from './types'

/** A host of the run before it starts. */
export interface HostPlan {
  readonly host: HostId
  readonly node: NodeId
  readonly role: NodeRole
  readonly byzantine: string | null
}

/** One change the schedule makes. */
export type FaultAction =
  | { readonly kind: 'conditions'; readonly change: Partial<LinkConditions> }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly HostId[])[] }
  | { readonly kind: 'heal-partition' }
  | { readonly kind: 'crash'; readonly host: HostId; readonly lose: CrashLoss }
  | { readonly kind: 'restart'; readonly host: HostId }
  | {
      readonly kind: 'skew'
      readonly host: HostId
      readonly offsetMs: number
      readonly drift: number
    }
  | { readonly kind: 'heal' }

/** An action at a virtual time. */
export interface ScheduledFault {
  readonly atMs: number
  readonly action: FaultAction
}

/** The compiled faults of one run. */
export interface FaultSchedule {
  /** The fault list it came from, canonical text. */
  readonly spec: string
  readonly hosts: readonly HostPlan[]
  /** Byzantine validators and their behaviour. */
  readonly byzantine: ReadonlyMap<NodeId, string>
  /** Actions sorted by time (ties keep list order). */
  readonly events: readonly ScheduledFault[]
  /** Time of the final "heal everything", or `null` when nothing needs healing. */
  readonly healAtMs: number | null
}

/** What a schedule is compiled against. */
export interface CompileFaultsInit {
  readonly validators: number
  readonly nodes: number
  /** Number of Byzantine validators (`--byzantine K`). */
  readonly byzantine: number
  readonly durationMs: number
  /** Behaviours the scenario implements (besides `twins`). */
  readonly behaviours: readonly string[]
  /** Network conditions without faults, restored when a windowed fault ends. */
  readonly base: Readonly<LinkConditions>
}

const DISRUPTIVE = new Set(['loss', 'dup', 'reorder', 'jitter', 'partition', 'crash', 'churn'])

/** One-line description of an action, for reports and traces. */
export function describeFault(action: FaultAction): string {
  switch (action.kind) {
    case 'conditions':
      return `conditions ${Object.entries(action.change)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`
    case 'partition':
      return `partition ${action.groups.map((g) => g.join('+')).join(' / ')}`
    case 'heal-partition':
      return 'heal partition'
    case 'crash':
      return `crash host ${action.host} (lose ${action.lose})`
    case 'restart':
      return `restart host ${action.host}`
    case 'skew':
      return `skew host ${action.host} ${action.offsetMs.toFixed(1)}ms drift ${(action.drift * 1e6).toFixed(1)}ppm`
    case 'heal':
      return 'heal everything'
  }
}

function num(item: FaultItem, key: string): number | undefined {
  const v = item.params[key]
  return typeof v === 'number' ? v : undefined
}

function str(item: FaultItem, key: string): string | undefined {
  const v = item.params[key]
  return typeof v === 'string' ? v : undefined
}

/**
 * Picks the Byzantine validators and gives each a behaviour, round-robin over the Byzantine items
 * of the list (or over the scenario's behaviours, or `twins`, when the list names none).
 */
function assignByzantine(
  spec: FaultSpec,
  init: CompileFaultsInit,
  random: SimRandom,
): Map<NodeId, string> {
  const listed = spec.filter(isByzantineItem).map(byzantineBehaviour)
  if (init.byzantine === 0) {
    if (listed.length > 0) {
      throw new SimConfigError(
        `The faults name Byzantine behaviours (${listed.join(', ')}) but --byzantine is 0.`,
      )
    }
    return new Map()
  }
  if (init.byzantine > init.validators) {
    throw new SimConfigError(
      `--byzantine ${init.byzantine} is more than the ${init.validators} validators.`,
    )
  }
  const behaviours =
    listed.length > 0 ? listed : init.behaviours.length > 0 ? [...init.behaviours] : ['twins']
  for (const b of behaviours) {
    if (b !== 'twins' && !init.behaviours.includes(b)) {
      throw new SimConfigError(
        `This scenario does not implement the Byzantine behaviour "${b}" (it has: ${[
          'twins',
          ...init.behaviours,
        ].join(', ')}).`,
      )
    }
  }
  const validators = random.shuffle(Array.from({ length: init.validators }, (_, i) => i))
  const chosen = validators.slice(0, init.byzantine).sort((a, b) => a - b)
  return new Map(chosen.map((node, i) => [node, behaviours[i % behaviours.length] as string]))
}

/**
 * Compiles `spec` for one run. Throws `FaultSpecError` for items that cannot fit the run (times
 * after the end or after the heal, split hosts that do not exist) and `SimConfigError` for
 * Byzantine settings the run or scenario cannot honour.
 */
export function compileFaults(
  spec: FaultSpec,
  init: CompileFaultsInit,
  random: SimRandom,
): FaultSchedule {
  const byzantine = assignByzantine(spec, init, random)
  const hosts: HostPlan[] = []
  const total = init.validators + init.nodes
  for (let node = 0; node < total; node++) {
    hosts.push({
      host: node,
      node,
      role: node < init.validators ? 'validator' : 'node',
      byzantine: byzantine.get(node) ?? null,
    })
  }
  for (const [node, behaviour] of byzantine) {
    if (behaviour === 'twins') {
      hosts.push({ host: hosts.length, node, role: 'validator', byzantine: 'twins' })
    }
  }

  const D = init.durationMs
  const healItem = spec.find((i) => i.name === 'heal')
  const disruptive = spec.some((i) => DISRUPTIVE.has(i.name))
  const explicitHeal = healItem === undefined ? undefined : num(healItem, 'at')
  const healAtMs =
    explicitHeal ??
    (disruptive || healItem !== undefined ? Math.round(D * DEFAULT_HEAL_FRACTION) : null)
  if (healAtMs !== null && healAtMs > D) {
    throw new FaultSpecError(
      'heal',
      `the heal at ${healAtMs}ms is after the end of the run (${D}ms)`,
    )
  }
  const windowEnd = healAtMs ?? D
  const events: ScheduledFault[] = []
  const text = (item: FaultItem): string => formatFaultSpec([item])
  const time = (item: FaultItem, key: string, fallback: () => number): number => {
    const t = num(item, key)
    if (t === undefined) return fallback()
    if (t > windowEnd) {
      throw new FaultSpecError(
        text(item),
        `${key}=${t}ms is after the ${healAtMs === null ? 'end of the run' : 'heal'} (${windowEnd}ms)`,
      )
    }
    return t
  }
  const drawTime = (lo: number, hi: number): number =>
    Math.round(random.range(lo, Math.max(lo, hi)))
  const honest = hosts.filter((h) => h.byzantine === null)
  const restartItem = spec.find((i) => i.name === 'restart')
  const downtime = (): number =>
    (restartItem === undefined ? undefined : num(restartItem, 'after')) ??
    drawTime(DEFAULT_RESTART_AFTER_MS[0], DEFAULT_RESTART_AFTER_MS[1])

  for (const item of spec) {
    switch (item.name) {
      case 'loss':
      case 'dup':
      case 'reorder':
      case 'jitter': {
        const at = time(item, 'at', () => 0)
        const until = time(item, 'until', () => windowEnd)
        if (until < at) throw new FaultSpecError(text(item), 'until is before at')
        let on: Partial<LinkConditions>
        let off: Partial<LinkConditions>
        if (item.name === 'loss') {
          on = { loss: num(item, 'p') ?? 0.05 }
          off = { loss: init.base.loss }
        } else if (item.name === 'dup') {
          on = { duplicate: num(item, 'p') ?? 0.02 }
          off = { duplicate: init.base.duplicate }
        } else if (item.name === 'reorder') {
          on = { reorder: num(item, 'p') ?? 0.1, reorderMs: num(item, 'ms') ?? init.base.reorderMs }
          off = { reorder: init.base.reorder, reorderMs: init.base.reorderMs }
        } else {
          on = { jitterMs: num(item, 'ms') ?? 50 }
          off = { jitterMs: init.base.jitterMs }
        }
        events.push({ atMs: at, action: { kind: 'conditions', change: on } })
        if (until < windowEnd || healAtMs === null) {
          events.push({ atMs: until, action: { kind: 'conditions', change: off } })
        }
        break
      }
      case 'partition': {
        const times = num(item, 'times') ?? 1
        const split = str(item, 'split')
        const groupCount = num(item, 'groups') ?? 2
        if (split === undefined && groupCount < 2) {
          throw new FaultSpecError(text(item), 'a partition needs at least 2 groups')
        }
        let fixed: number[][] | undefined
        if (split !== undefined) {
          fixed = parseSplit(split, text(item))
          for (const h of fixed.flat()) {
            if (h >= hosts.length) {
              throw new FaultSpecError(
                text(item),
                `host ${h} does not exist (${hosts.length} hosts)`,
              )
            }
          }
        }
        const slice = windowEnd / times
        for (let k = 0; k < times; k++) {
          const at = time(item, 'at', () => drawTime(k * slice, k * slice + slice / 2))
          const length = num(item, 'for') ?? drawTime(slice / 4, slice / 2)
          const end = Math.min(at + length, windowEnd)
          const groups =
            fixed ?? randomGroups(hosts.length, Math.min(groupCount, hosts.length), random)
          events.push({ atMs: at, action: { kind: 'partition', groups } })
          if (end < windowEnd || healAtMs === null) {
            events.push({ atMs: end, action: { kind: 'heal-partition' } })
          }
        }
        break
      }
      case 'crash': {
        const who = str(item, 'who') ?? 'validators'
        const lose = (str(item, 'lose') ?? 'all') as CrashLoss
        const pool = honest.filter(
          (h) => who === 'any' || (who === 'validators') === (h.role === 'validator'),
        )
        random.shuffle(pool)
        const n = Math.min(num(item, 'n') ?? 1, pool.length)
        for (const victim of pool.slice(0, n)) {
          const at = time(item, 'at', () => drawTime(0, windowEnd * 0.9))
          events.push({ atMs: at, action: { kind: 'crash', host: victim.host, lose } })
          if (restartItem !== undefined) {
            const back = at + downtime()
            if (back < windowEnd || healAtMs === null) {
              events.push({ atMs: back, action: { kind: 'restart', host: victim.host } })
            }
          }
        }
        break
      }
      case 'churn': {
        const pool = honest.filter((h) => h.role === 'node')
        if (pool.length === 0) break
        const count = Math.round(((num(item, 'rate') ?? 1) * windowEnd) / 1000)
        for (let k = 0; k < count; k++) {
          const victim = random.pick(pool)
          const at = drawTime(0, windowEnd)
          const back = at + (num(item, 'down') ?? drawTime(1_000, 5_000))
          events.push({ atMs: at, action: { kind: 'crash', host: victim.host, lose: 'all' } })
          if (back < windowEnd || healAtMs === null) {
            events.push({ atMs: back, action: { kind: 'restart', host: victim.host } })
          }
        }
        break
      }
      case 'skew': {
        const ms = num(item, 'ms') ?? DEFAULT_SKEW_MS
        const ppm = num(item, 'drift') ?? 0
        for (const h of hosts) {
          events.push({
            atMs: 0,
            action: {
              kind: 'skew',
              host: h.host,
              offsetMs: Math.round(random.range(-ms, ms) * 1000) / 1000,
              drift: ppm === 0 ? 0 : Math.round(random.range(-ppm, ppm) * 1000) / 1e9,
            },
          })
        }
        break
      }
      default:
        // heal, restart and Byzantine items were handled above.
        break
    }
  }
  if (healAtMs !== null) events.push({ atMs: healAtMs, action: { kind: 'heal' } })
  // Stable sort: ties keep the order above, so the heal stays after everything at its time.
  events.sort((a, b) => a.atMs - b.atMs)
  return { spec: formatFaultSpec(spec), hosts, byzantine, events, healAtMs }
}

/** Hosts shuffled and cut into `count` non-empty groups of random sizes. */
function randomGroups(hostCount: number, count: number, random: SimRandom): HostId[][] {
  const order = random.shuffle(Array.from({ length: hostCount }, (_, i) => i))
  const cuts = new Set<number>()
  while (cuts.size < count - 1) cuts.add(1 + random.int(hostCount - 1))
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), hostCount]
  const groups: HostId[][] = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    groups.push(order.slice(bounds[i], bounds[i + 1]).sort((a, b) => a - b))
  }
  return groups
}
