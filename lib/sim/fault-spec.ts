/**
 * The compact fault language of `--faults LIST`.
 *
 * ```
 * LIST  := '' | 'none' | ITEM (',' ITEM)*
 * ITEM  := NAME ['=' VALUE] (':' KEY '=' VALUE)*     NAME=VALUE sets the item's primary parameter
 * TIME  := number ['ms' | 's' | 'm']                  bare numbers are ms
 * SPLIT := GROUP ('/' GROUP)*   GROUP := RANGE ('+' RANGE)*   RANGE := host | host '-' host
 * ```
 *
 * | item | primary | other parameters | meaning |
 * |---|---|---|---|
 * | `loss` | `p` (0.05) | `at`, `until` | each message lost with probability p |
 * | `dup` | `p` (0.02) | `at`, `until` | each message delivered twice with probability p |
 * | `reorder` | `p` (0.1) | `ms` (100ms), `at`, `until` | message delayed up to ms, out of FIFO order |
 * | `jitter` | `ms` (50ms) | `at`, `until` | uniform extra delay per message |
 * | `partition` | `groups` (2) | `split`, `at`, `for`, `times` (1) | hosts split into groups, healed after `for` |
 * | `crash` | `n` (1) | `who` (validators\|nodes\|any), `lose` (all\|none\|some), `at` | n honest hosts crash |
 * | `restart` | `after` (0.5–3s) | | crashed hosts restart after this downtime (else at the heal) |
 * | `skew` | `ms` (500ms) | `drift` (ppm) | every host's clock offset by ±ms (and drifting ±drift) |
 * | `churn` | `rate` (1/s) | `down` (1–5s) | plain nodes (tabs) leave and come back |
 * | `heal` | `at` (60% of the run) | | the "heal everything" point |
 * | `equivocate`, `withhold`, `invalid`, `lie-time`, `twins` | | | Byzantine behaviours |
 * | `byz` | `as` | | a scenario-defined Byzantine behaviour |
 *
 * Unset times are drawn from the seed (fault-schedule.ts). Byzantine behaviours go round-robin to
 * the `--byzantine K` Byzantine validators. Examples:
 * `loss=0.1,partition:split=0-1/2-3:at=2s:for=3s,crash=2:lose=some,restart=1s,equivocate`.
 */
import { FaultSpecError } from './errors'
import type { SimRandom } from './random'

/** Names of the built-in Byzantine behaviours. */
export const BYZANTINE_BEHAVIOURS = [
  'equivocate',
  'withhold',
  'invalid',
  'lie-time',
  'twins',
] as const

/** Every item name of the grammar. */
export type FaultName =
  | 'loss'
  | 'dup'
  | 'reorder'
  | 'jitter'
  | 'partition'
  | 'crash'
  | 'restart'
  | 'skew'
  | 'churn'
  | 'heal'
  | 'byz'
  | (typeof BYZANTINE_BEHAVIOURS)[number]

/** A parameter value after parsing: numbers (times in ms) or words. */
export type FaultParamValue = number | string

/** One item of a fault list; `params` holds only what was written (defaults apply later). */
export interface FaultItem {
  readonly name: FaultName
  readonly params: Readonly<Record<string, FaultParamValue>>
}

/** A parsed fault list. */
export type FaultSpec = readonly FaultItem[]

type ParamKind = 'prob' | 'time' | 'count' | 'positive' | 'split' | 'word' | 'who' | 'lose'

interface ItemGrammar {
  readonly primary?: string
  readonly params: Readonly<Record<string, ParamKind>>
  readonly once?: boolean
}

const WINDOW = { at: 'time', until: 'time' } as const

const GRAMMAR: Readonly<Record<FaultName, ItemGrammar>> = {
  loss: { primary: 'p', params: { p: 'prob', ...WINDOW } },
  dup: { primary: 'p', params: { p: 'prob', ...WINDOW } },
  reorder: { primary: 'p', params: { p: 'prob', ms: 'time', ...WINDOW } },
  jitter: { primary: 'ms', params: { ms: 'time', ...WINDOW } },
  partition: {
    primary: 'groups',
    params: { groups: 'count', split: 'split', at: 'time', for: 'time', times: 'count' },
  },
  crash: { primary: 'n', params: { n: 'count', who: 'who', lose: 'lose', at: 'time' } },
  restart: { primary: 'after', params: { after: 'time' }, once: true },
  skew: { primary: 'ms', params: { ms: 'time', drift: 'positive' }, once: true },
  churn: { primary: 'rate', params: { rate: 'positive', down: 'time' } },
  heal: { primary: 'at', params: { at: 'time' }, once: true },
  byz: { primary: 'as', params: { as: 'word' } },
  equivocate: { params: {} },
  withhold: { params: {} },
  invalid: { params: {} },
  'lie-time': { params: {} },
  twins: { params: {} },
}

const WHO = ['validators', 'nodes', 'any'] as const
const LOSE = ['all', 'none', 'some'] as const

/** Whether `name` is a Byzantine item (a built-in behaviour or `byz`). */
export function isByzantineItem(item: FaultItem): boolean {
  return item.name === 'byz' || (BYZANTINE_BEHAVIOURS as readonly string[]).includes(item.name)
}

/** The behaviour a Byzantine item stands for (`byz=NAME` → NAME). */
export function byzantineBehaviour(item: FaultItem): string {
  return item.name === 'byz' ? String(item.params.as) : item.name
}

function parseTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text)
  if (m === null) return undefined
  const n = Number(m[1])
  const unit = m[2] === 's' ? 1_000 : m[2] === 'm' ? 60_000 : 1
  return Math.round(n * unit * 1000) / 1000
}

/** Parses a SPLIT value into host groups. Throws `FaultSpecError` naming `item`. */
export function parseSplit(text: string, item: string): number[][] {
  const seen = new Set<number>()
  return text.split('/').map((group) => {
    const hosts: number[] = []
    for (const range of group.split('+')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(range)
      if (m === null) throw new FaultSpecError(item, `"${range}" is not a host or host range`)
      const lo = Number(m[1])
      const hi = m[2] === undefined ? lo : Number(m[2])
      if (hi < lo || hi - lo > 100_000) throw new FaultSpecError(item, `bad range "${range}"`)
      for (let h = lo; h <= hi; h++) {
        if (seen.has(h)) throw new FaultSpecError(item, `host ${h} is in two groups`)
        seen.add(h)
        hosts.push(h)
      }
    }
    return hosts
  })
}

function parseValue(kind: ParamKind, raw: string, item: string, key: string): FaultParamValue {
  const bad = (why: string): never => {
    throw new FaultSpecError(item, `${key}=${raw}: ${why}`)
  }
  switch (kind) {
    case 'prob': {
      const n = Number(raw)
      if (raw === '' || !(n >= 0 && n <= 1)) bad('expected a probability in [0, 1]')
      return n
    }
    case 'time': {
      const t = parseTime(raw)
      if (t === undefined) return bad('expected a time such as 250ms, 2s or 1m')
      return t
    }
    case 'count': {
      if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1_000_000) {
        bad('expected a whole number ≥ 1')
      }
      return Number(raw)
    }
    case 'positive': {
      const n = Number(raw)
      if (raw === '' || !(n > 0) || !Number.isFinite(n)) bad('expected a positive number')
      return n
    }
    case 'split':
      parseSplit(raw, item)
      return raw
    case 'word':
      if (!/^[a-z][a-z0-9-]*$/.test(raw)) bad('expected a lowercase name')
      return raw
    case 'who':
      if (!(WHO as readonly string[]).includes(raw)) bad(`expected one of ${WHO.join('|')}`)
      return raw
    case 'lose':
      if (!(LOSE as readonly string[]).includes(raw)) bad(`expected one of ${LOSE.join('|')}`)
      return raw
  }
}

/**
 * Parses a fault list. Throws `FaultSpecError` (code `ERR_SIM_FAULT_SPEC`) naming the first bad
 * item: unknown name or parameter, bad value, or a once-only item (`heal`, `restart`, `skew`)
 * given twice.
 *
 * @example
 * parseFaultSpec('loss=0.1,crash:n=2:lose=some')
 * // [{ name: 'loss', params: { p: 0.1 } }, { name: 'crash', params: { n: 2, lose: 'some' } }]
 */
export function parseFaultSpec(text: string): FaultSpec {
  const trimmed = text.trim()
  if (trimmed === '' || trimmed === 'none') return []
  const seen = new Set<string>()
  return trimmed.split(',').map((rawItem): FaultItem => {
    const itemText = rawItem.trim()
    const parts = itemText.split(':')
    const head = (parts[0] ?? '').trim()
    const eq = head.indexOf('=')
    const name = (eq < 0 ? head : head.slice(0, eq)).trim()
    if (!Object.hasOwn(GRAMMAR, name)) {
      throw new FaultSpecError(itemText, `unknown fault "${name}"`)
    }
    const grammar = GRAMMAR[name as FaultName]
    if (grammar.once === true && seen.has(name)) {
      throw new FaultSpecError(itemText, `"${name}" may appear only once`)
    }
    seen.add(name)
    const params: Record<string, FaultParamValue> = {}
    const set = (key: string, raw: string): void => {
      const kind = grammar.params[key]
      if (kind === undefined)
        throw new FaultSpecError(itemText, `"${name}" has no parameter "${key}"`)
      if (Object.hasOwn(params, key)) throw new FaultSpecError(itemText, `"${key}" given twice`)
      params[key] = parseValue(kind, raw.trim(), itemText, key)
    }
    if (eq >= 0) {
      if (grammar.primary === undefined) {
        throw new FaultSpecError(itemText, `"${name}" takes no value`)
      }
      set(grammar.primary, head.slice(eq + 1))
    }
    for (const part of parts.slice(1)) {
      const i = part.indexOf('=')
      if (i < 0) throw new FaultSpecError(itemText, `"${part}" is not KEY=VALUE`)
      set(part.slice(0, i).trim(), part.slice(i + 1))
    }
    if (name === 'byz' && params.as === undefined) {
      throw new FaultSpecError(itemText, '"byz" needs a behaviour name: byz=NAME')
    }
    return { name: name as FaultName, params }
  })
}

function formatValue(kind: ParamKind | undefined, value: FaultParamValue): string {
  if (kind === 'time' && typeof value === 'number') {
    return value % 1000 === 0 && value !== 0 ? `${value / 1000}s` : `${value}ms`
  }
  return String(value)
}

/**
 * The canonical text of a fault list: parameters in grammar order, the primary one as
 * `NAME=VALUE`, times in `s` when whole seconds. `parseFaultSpec(formatFaultSpec(s))` equals `s`.
 */
export function formatFaultSpec(spec: FaultSpec): string {
  if (spec.length === 0) return 'none'
  return spec
    .map((item) => {
      const grammar = GRAMMAR[item.name]
      let text: string = item.name
      const primary = grammar.primary
      if (primary !== undefined && item.params[primary] !== undefined) {
        text += `=${formatValue(grammar.params[primary], item.params[primary])}`
      }
      for (const key of Object.keys(grammar.params)) {
        const v = item.params[key]
        if (key === primary || v === undefined) continue
        text += `:${key}=${formatValue(grammar.params[key], v)}`
      }
      return text
    })
    .join(',')
}

/** What `randomFaultSpec` may use. */
export interface RandomFaultOptions {
  readonly validators: number
  /** Plain (non-validator) nodes, for churn. */
  readonly nodes: number
  /** Byzantine validators of the run; Byzantine items are produced only when > 0. */
  readonly byzantine: number
  /** Byzantine behaviours the scenario implements (twins is always possible). */
  readonly behaviours: readonly string[]
}

function round(n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/**
 * A random fault list for sweeps, drawn from `random`. Times are left unset so the schedule
 * compiler draws them; the heal point is always implied.
 */
export function randomFaultSpec(random: SimRandom, options: RandomFaultOptions): FaultSpec {
  const items: FaultItem[] = []
  if (random.chance(0.35))
    items.push({ name: 'loss', params: { p: round(random.range(0, 0.2), 3) } })
  if (random.chance(0.25))
    items.push({ name: 'dup', params: { p: round(random.range(0, 0.1), 3) } })
  if (random.chance(0.3)) {
    items.push({
      name: 'reorder',
      params: { p: round(random.range(0, 0.3), 3), ms: 10 * (1 + random.int(30)) },
    })
  }
  if (random.chance(0.25)) items.push({ name: 'jitter', params: { ms: 10 * (1 + random.int(15)) } })
  if (random.chance(0.4)) {
    items.push({
      name: 'partition',
      params: { groups: 2 + random.int(2), times: 1 + random.int(2) },
    })
  }
  let crashed = false
  if (random.chance(0.4)) {
    crashed = true
    items.push({
      name: 'crash',
      params: {
        n: 1 + random.int(Math.max(1, Math.min(3, options.validators - 1))),
        lose: random.pick(LOSE),
      },
    })
  }
  if (crashed && random.chance(0.6)) {
    items.push({ name: 'restart', params: { after: 100 * (2 + random.int(30)) } })
  }
  if (random.chance(0.3)) items.push({ name: 'skew', params: { ms: 10 * (1 + random.int(30)) } })
  if (options.nodes > 0 && random.chance(0.3)) {
    items.push({ name: 'churn', params: { rate: round(random.range(0.2, 3), 2) } })
  }
  if (options.byzantine > 0) {
    const pool = [...new Set([...options.behaviours, 'twins'])]
    const count = 1 + random.int(Math.min(2, pool.length))
    for (const b of random.shuffle(pool).slice(0, count)) {
      items.push(
        (BYZANTINE_BEHAVIOURS as readonly string[]).includes(b)
          ? { name: b as FaultName, params: {} }
          : { name: 'byz', params: { as: b } },
      )
    }
  }
  return items
}
