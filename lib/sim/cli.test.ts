import { describe, expect, it } from 'vitest'
import { parseCliArgs, runCli } from './cli'
import { defaultScenarios } from './scenarios'

function cli(args: string): { code: number; out: string; err: string } {
  let out = ''
  let err = ''
  // These cases exercise the CLI itself on the small self-test scenario (the default is consensus).
  const argv = args === '' ? [] : args.split(' ')
  if (!argv.includes('--scenario') && !argv.includes('--help') && !argv.includes('--list')) {
    argv.push('--scenario', 'toy')
  }
  const code = runCli(argv, {
    registry: defaultScenarios(),
    write: (t) => (out += t),
    error: (t) => (err += t),
  })
  return { code, out, err }
}

describe('parseCliArgs', () => {
  it('reads every option in both spellings', () => {
    const o = parseCliArgs([
      '--validators',
      '31',
      '--nodes=100',
      '--byzantine',
      '10',
      '--faults',
      'loss,crash',
      '--seeds',
      '5..9',
      '--duration',
      '2.5',
      '--json',
      '--opt',
      'slot=200',
      '--keep-going',
    ])
    expect(o).toMatchObject({
      validators: 31,
      nodes: 100,
      byzantine: 10,
      faults: 'loss,crash',
      fromSeed: 5,
      toSeed: 9,
      durationMs: 2500,
      json: true,
      keepGoing: true,
      options: { slot: '200' },
    })
  })

  it('refuses what it does not understand', () => {
    for (const bad of [
      ['--validators', 'x'],
      ['--seeds', '9..5'],
      ['--duration', '-1'],
      ['--frobnicate'],
      ['--opt', 'x'],
      ['--seed'],
      ['--seeds', '1..3', '--trace'],
    ]) {
      expect(() => parseCliArgs(bad)).toThrow(expect.objectContaining({ code: 'ERR_SIM_CONFIG' }))
    }
  })
})

describe('runCli', () => {
  it('prints a readable report and exits 0 when the run passes', () => {
    const r = cli('--seed 3 --duration 2 --faults loss=0.1')
    expect(r.code).toBe(0)
    expect(r.out).toContain('INFRASTRUCTURE SELF-TEST')
    expect(r.out).toMatch(/result\s+OK/)
    expect(r.out).toContain('message-delay-ms')
  })

  it('prints JSON that replays to the same trace hash', () => {
    const a = JSON.parse(cli('--seed 4 --duration 2 --faults random --json').out)
    const b = JSON.parse(cli(`--seed 4 --duration 2 --json --faults ${a.faults}`).out)
    expect(b.traceHash).toBe(a.traceHash)
  })

  it('exits 1 with a replay command when an invariant breaks, and sweeps seeds', () => {
    const r = cli(
      '--seeds 1..3 --duration 3 --faults partition:split=0-1/2-3:at=1s --opt bug=small-quorum',
    )
    expect(r.code).toBe(1)
    expect(r.out).toContain('[agreement]')
    expect(r.out).toContain('replay 1: npx tsx bin/sim.ts --scenario toy')
    const sweepJson = JSON.parse(cli('--seeds 1..3 --duration 1 --json').out)
    expect(sweepJson).toMatchObject({ runs: 3, passed: 3, failed: 0 })
  })

  it('exits 2 on bad arguments or an unknown scenario, and lists scenarios', () => {
    expect(cli('--faults meteor').code).toBe(2)
    const unknown = cli('--scenario no-such-scenario')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('UnknownScenarioError')
    expect(cli('--list').out).toContain('toy')
    expect(cli('--help').out).toContain('--validators')
  })

  it('traces events of a single seed', () => {
    const r = cli('--seed 1 --duration 0.2 --trace')
    expect(r.out).toMatch(/start\s+host\s+0/)
    expect(r.out).toMatch(/message\s+host/)
  })
})
