/**
 * The simulator's command line, as a pure function from arguments to output text and an exit
 * code (bin/sim.ts only wires it to process.argv and stdout). Scenarios come from a registry, so a
 * new protocol is one `register` call away from `--scenario NAME`.
 *
 * Exit codes: 0 every run passed, 1 some run violated an invariant, 2 bad arguments.
 */
import { DEFAULT_DURATION_MS } from './constants'
import type { TraceLine } from './engine'
import { SimConfigError, SimError } from './errors'
import type { ScenarioRegistry } from './registry'
import { runSeed, sweep, type RunOptions, type SimReport } from './run'

/** Parsed command line. */
export interface CliOptions {
  scenario: string
  validators: number
  nodes: number
  byzantine: number
  faults: string
  fromSeed: number
  toSeed: number
  durationMs: number
  json: boolean
  trace: boolean
  keepGoing: boolean
  list: boolean
  help: boolean
  options: Record<string, string>
}

/** Usage text. */
export const USAGE = `Usage: npx tsx bin/sim.ts [options]

  --scenario NAME     scenario to run (default: consensus; toy is the infrastructure self-test); --list shows all
  --validators N      validators (default 4)
  --nodes M           plain, non-validator nodes (default 0)
  --byzantine K       Byzantine validators (default 0)
  --faults LIST       faults, e.g. loss=0.1,partition,crash=2:lose=some,restart,equivocate
                      ('random' draws a list from each seed; see lib/sim/README.md for the grammar)
  --seed S            one run with seed S (default 1)
  --seeds A..B        a sweep over seeds A to B
  --duration D        virtual seconds (default ${DEFAULT_DURATION_MS / 1000})
  --opt KEY=VALUE     scenario option (repeatable)
  --keep-going        record every violation instead of stopping at the first
  --trace             print every event (single seed only)
  --json              JSON instead of tables
  --list              list scenarios
  --help              this text

Exit code: 0 all runs passed, 1 a run violated an invariant, 2 bad arguments.`

function integer(flag: string, raw: string | undefined, min: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > 0xffff_ffff) {
    throw new SimConfigError(`${flag} needs a whole number ≥ ${min}, got "${raw ?? ''}".`)
  }
  return Number(raw)
}

/**
 * Parses arguments (without `node` and the script). Throws `SimConfigError` for anything it does
 * not understand; accepts `--flag value` and `--flag=value`.
 */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    scenario: 'consensus',
    validators: 4,
    nodes: 0,
    byzantine: 0,
    faults: 'none',
    fromSeed: 1,
    toSeed: 1,
    durationMs: DEFAULT_DURATION_MS,
    json: false,
    trace: false,
    keepGoing: false,
    list: false,
    help: false,
    options: {},
  }
  const args = argv.flatMap((a) => {
    const i = a.indexOf('=')
    return a.startsWith('--') && i > 0 ? [a.slice(0, i), a.slice(i + 1)] : [a]
  })
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string
    const value = (): string => {
      const v = args[++i]
      if (v === undefined) throw new SimConfigError(`${flag} needs a value.`)
      return v
    }
    switch (flag) {
      case '--scenario':
        o.scenario = value()
        break
      case '--validators':
        o.validators = integer(flag, value(), 1)
        break
      case '--nodes':
        o.nodes = integer(flag, value(), 0)
        break
      case '--byzantine':
        o.byzantine = integer(flag, value(), 0)
        break
      case '--faults':
        o.faults = value()
        break
      case '--seed':
        o.fromSeed = o.toSeed = integer(flag, value(), 0)
        break
      case '--seeds': {
        const v = value()
        const m = /^(\d+)\.\.(\d+)$/.exec(v)
        if (m === null) throw new SimConfigError(`--seeds needs A..B, got "${v}".`)
        o.fromSeed = integer(flag, m[1], 0)
        o.toSeed = integer(flag, m[2], 0)
        if (o.toSeed < o.fromSeed) throw new SimConfigError(`--seeds ${v}: B is before A.`)
        break
      }
      case '--duration': {
        const v = value()
        const s = Number(v)
        if (v === '' || !(s > 0) || !Number.isFinite(s)) {
          throw new SimConfigError(`--duration needs a positive number of seconds, got "${v}".`)
        }
        o.durationMs = Math.round(s * 1000)
        break
      }
      case '--opt': {
        const v = value()
        const j = v.indexOf('=')
        if (j <= 0) throw new SimConfigError(`--opt needs KEY=VALUE, got "${v}".`)
        o.options[v.slice(0, j)] = v.slice(j + 1)
        break
      }
      case '--json':
        o.json = true
        break
      case '--trace':
        o.trace = true
        break
      case '--keep-going':
        o.keepGoing = true
        break
      case '--list':
        o.list = true
        break
      case '--help':
      case '-h':
        o.help = true
        break
      default:
        throw new SimConfigError(`Unknown argument "${flag}". Try --help.`)
    }
  }
  if (o.trace && o.toSeed !== o.fromSeed) throw new SimConfigError('--trace needs a single --seed.')
  return o
}

/** Left-aligned first column, right-aligned others. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function quote(text: string): string {
  return /^[\w.,:=/+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}

/** The command that replays `report`. */
export function reproCommand(report: SimReport, options: Readonly<Record<string, string>>): string {
  const parts = [
    'npx tsx bin/sim.ts',
    `--scenario ${report.scenario}`,
    `--validators ${report.validators}`,
    `--nodes ${report.nodes}`,
    `--byzantine ${report.byzantine}`,
    `--faults ${quote(report.faults)}`,
    `--seed ${report.seed}`,
    `--duration ${report.durationMs / 1000}`,
    ...Object.entries(options).map(([k, v]) => `--opt ${quote(`${k}=${v}`)}`),
  ]
  return parts.join(' ')
}

/** The human-readable report of one run. */
export function formatReport(report: SimReport, options: Readonly<Record<string, string>>): string {
  const out: string[] = []
  const m = report.messages
  out.push(
    `seed ${report.seed} · ${report.validators} validators + ${report.nodes} nodes (${report.hosts} hosts) · ` +
      `byzantine ${report.byzantine}${
        report.byzantineNodes.length > 0
          ? ` [${report.byzantineNodes.map((b) => `${b.node}:${b.behaviour}`).join(' ')}]`
          : ''
      } · ${report.endMs / 1000} s virtual`,
  )
  out.push(`faults      ${report.faults}`)
  out.push(
    `result      ${report.ok ? 'OK' : 'FAILED'}${report.stoppedEarly ? ' (stopped early)' : ''}`,
  )
  out.push(`trace hash  ${report.traceHash}`)
  out.push(`events      ${report.events} (timers ${report.timersFired})`)
  out.push(
    `messages    sent ${m.sent}, delivered ${m.delivered} (${m.deliveredPerSecond}/s), duplicated ${m.duplicated}, ` +
      `dropped loss ${m.dropped.loss} / partition ${m.dropped.partition} / down ${m.dropped.down}`,
  )
  out.push('')
  out.push(
    formatTable(
      ['kind', 'sent', 'delivered', 'dropped', 'bytes sent'],
      Object.entries(m.byKind).map(([k, s]) => [
        k,
        `${s.sent}`,
        `${s.delivered}`,
        `${s.dropped}`,
        `${s.bytesSent}`,
      ]),
    ),
  )
  const dists = Object.entries(report.distributions)
  if (dists.length > 0) {
    out.push('')
    out.push(
      formatTable(
        ['distribution', 'count', 'p50', 'p90', 'p99', 'max'],
        dists.map(([k, d]) => [k, `${d.count}`, `${d.p50}`, `${d.p90}`, `${d.p99}`, `${d.max}`]),
      ),
    )
  }
  const counters = Object.entries(report.counters)
  if (counters.length > 0) {
    out.push('')
    out.push(
      formatTable(
        ['counter', 'total', 'per s'],
        counters.map(([k, c]) => [k, `${c.total}`, `${c.perSecond}`]),
      ),
    )
  }
  out.push('')
  const l = report.liveness
  if (l !== null) {
    out.push(
      `liveness    ${l.name}: ${
        l.recoveredAfterMs === null ? 'no progress' : `progress ${l.recoveredAfterMs} ms`
      } after ${l.windowStartMs === 0 ? 'start' : `heal at ${l.windowStartMs} ms`} (deadline ${l.deadlineMs} ms; ${l.progressAtStart} → ${l.progressAtEnd})`,
    )
  }
  const summary = Object.entries(report.summary)
  if (summary.length > 0) out.push(`summary     ${summary.map(([k, v]) => `${k}=${v}`).join(' ')}`)
  if (report.schedule.length > 0) {
    out.push(`schedule    ${report.schedule.length} fault events`)
    for (const s of report.schedule.slice(0, 12))
      out.push(`  ${String(s.atMs).padStart(8)} ms  ${s.fault}`)
    if (report.schedule.length > 12)
      out.push(`  … ${report.schedule.length - 12} more (--json for all)`)
  }
  for (const v of report.violations) {
    out.push(
      `VIOLATION   [${v.invariant}] event ${v.eventIndex} at ${v.timeMs.toFixed(3)} ms: ${v.message}`,
    )
  }
  if (!report.ok) out.push(`replay      ${reproCommand(report, options)}`)
  return out.join('\n')
}

function traceLine(t: TraceLine): string {
  return `${String(t.index).padStart(8)} ${t.timeMs.toFixed(3).padStart(12)} ms  ${t.type.padEnd(8)} host ${String(t.host).padStart(4)}${
    t.from >= 0 ? ` from ${t.from}` : ''
  }  ${t.detail}`
}

/** What runCli needs from its environment. */
export interface CliEnvironment {
  readonly registry: ScenarioRegistry
  /** Writes text to standard output. */
  write(text: string): void
  /** Writes text to standard error. */
  error(text: string): void
  /** Wall-clock ms for the "took" line (bin passes performance.now); omitted in tests. */
  wallClock?(): number
}

/** Runs the CLI; returns the exit code. */
export function runCli(argv: readonly string[], env: CliEnvironment): number {
  let o: CliOptions
  try {
    o = parseCliArgs(argv)
  } catch (error) {
    if (error instanceof SimError) {
      env.error(`${error.message}\n`)
      return 2
    }
    throw error
  }
  if (o.help) {
    env.write(`${USAGE}\n`)
    return 0
  }
  if (o.list) {
    const rows = env.registry.list().map((s) => [s.name, s.description])
    env.write(
      o.json
        ? `${JSON.stringify(rows.map(([name, description]) => ({ name, description })))}\n`
        : `${formatTable(['scenario', 'description'], rows)}\n`,
    )
    return 0
  }
  try {
    const scenario = env.registry.get(o.scenario)
    const options: RunOptions = {
      validators: o.validators,
      nodes: o.nodes,
      byzantine: o.byzantine,
      durationMs: o.durationMs,
      faults: o.faults,
      options: o.options,
      stopOnViolation: !o.keepGoing,
      ...(o.trace && !o.json ? { trace: (t: TraceLine) => env.write(`${traceLine(t)}\n`) } : {}),
    }
    const started = env.wallClock?.()
    const took = (events: number): string => {
      if (started === undefined || env.wallClock === undefined) return ''
      const ms = env.wallClock() - started
      return `took        ${ms.toFixed(0)} ms wall (${Math.round(events / Math.max(ms / 1000, 1e-6))} events/s)\n`
    }
    if (o.fromSeed === o.toSeed) {
      const report = runSeed(scenario, o.fromSeed, options)
      if (o.json) env.write(`${JSON.stringify(report, null, 2)}\n`)
      else {
        env.write(
          `${scenario.name} — ${scenario.description}\n${formatReport(report, o.options)}\n${took(report.events)}`,
        )
      }
      return report.ok ? 0 : 1
    }
    const rows: string[][] = []
    const replays: string[] = []
    const showRows = o.toSeed - o.fromSeed < 50
    const result = sweep(scenario, o.fromSeed, o.toSeed, options, (r) => {
      if (!o.json && (showRows || !r.ok)) {
        rows.push([
          `${r.seed}`,
          r.ok ? 'ok' : 'FAIL',
          `${r.events}`,
          `${r.messages.delivered}`,
          r.liveness?.recoveredAfterMs === null || r.liveness === null
            ? '-'
            : `${r.liveness.recoveredAfterMs}`,
          r.traceHash.slice(0, 12),
          r.faults.length > 60 ? `${r.faults.slice(0, 57)}...` : r.faults,
          r.violations[0] === undefined
            ? ''
            : `[${r.violations[0].invariant}] ${r.violations[0].message}`,
        ])
      }
      if (!r.ok && !o.json) replays.push(`replay ${r.seed}: ${reproCommand(r, o.options)}`)
    })
    if (o.json) env.write(`${JSON.stringify(result, null, 2)}\n`)
    else {
      env.write(`${scenario.name} — ${scenario.description}\n`)
      if (rows.length > 0) {
        env.write(
          `${formatTable(['seed', 'result', 'events', 'delivered', 'recovery ms', 'trace', 'faults', 'violation'], rows)}\n`,
        )
      }
      for (const line of replays) env.write(`${line}\n`)
      env.write(
        `seeds ${result.fromSeed}..${result.toSeed}: ${result.passed} passed, ${result.failed} failed · ` +
          `${result.events} events, ${result.messagesDelivered} messages · recovery p50 ${result.recoveryMs.p50} ms, p99 ${result.recoveryMs.p99} ms\n` +
          took(result.events),
      )
    }
    return result.failed === 0 ? 0 : 1
  } catch (error) {
    if (error instanceof SimError) {
      env.error(`${error.name}: ${error.message}\n`)
      return 2
    }
    throw error
  }
}
