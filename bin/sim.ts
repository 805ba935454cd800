/**
 * The seeded network simulator (lib/sim) on the command line (`npm run sim -- …`). Runs a
 * registered scenario — `consensus` by default (HyperMesh's consensus core and ledger); `toy` is
 * the simulator's own self-test — for one seed or a sweep of seeds, and prints tables or JSON.
 * `--help` lists the options.
 *
 *   npx tsx bin/sim.ts --validators 31 --nodes 100 --faults loss=0.05,partition,crash --seed 7
 *   npx tsx bin/sim.ts --validators 4 --byzantine 1 --faults random --seeds 1..2000 --duration 5
 *
 * Exit code: 0 all runs passed, 1 a run violated an invariant, 2 bad arguments.
 */
import { runCli } from '../lib/sim/cli'
import { defaultScenarios } from '../lib/sim/scenarios'

process.exitCode = runCli(process.argv.slice(2), {
  registry: defaultScenarios(),
  write: (text) => process.stdout.write(text),
  error: (text) => process.stderr.write(text),
  wallClock: () => performance.now(),
})
