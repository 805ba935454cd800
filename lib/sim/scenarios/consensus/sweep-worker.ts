/**
 * Child process of a parallel consensus sweep (sweep.ts, `sweepInParallel`): runs the families
 * given as JSON in argv[2] and writes their results as one line of JSON to stdout. Started as
 * `node --import tsx sweep-worker.ts '<families>'`.
 */
import { sweepFamily, type SweepFamily } from './sweep'

const families = JSON.parse(process.argv[2] ?? '[]') as SweepFamily[]
process.stdout.write(`${JSON.stringify(families.map(sweepFamily))}\n`)
