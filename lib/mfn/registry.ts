/**
 * Every routing policy by the name the bench and the UI use. Each entry takes that policy's
 * options (checked: unknown keys and bad values throw `MfnOptionsError`) and returns a
 * `RouterFactory`; the `mfn/…` entries are the ablations of DESIGN.md §6 and accept the MFN options
 * on top of their switch.
 */
import type { RouterFactory } from './types'
import {
  leastLoaded,
  p2cPeakEwma,
  randomRouter,
  roundRobin,
  softmax,
  type P2cPeakEwmaInit,
  type SoftmaxInit,
} from './baselines'
import { UnknownRouterError } from './errors'
import { mfn, type MfnInit } from './router'

/** Builds a router factory from options (of the policy's own `…Init` type). */
export type RouterBuilder = (options?: object) => RouterFactory

/** The registered names. */
export const ROUTER_NAMES = [
  'random',
  'round-robin',
  'least-loaded',
  'p2c-pewma',
  'softmax',
  'mfn',
  'mfn/no-noise',
  'mfn/no-learning',
  'mfn/no-refractory',
  'mfn/no-coordinates',
  'mfn/no-adaptation',
  'mfn/argmax',
] as const

/** One registered name. */
export type RouterName = (typeof ROUTER_NAMES)[number]

/** An MFN variant: `switches` win over the same keys in the caller's options. */
function mfnVariant(switches: MfnInit): RouterBuilder {
  return (options) => mfn({ ...(options as MfnInit | undefined), ...switches })
}

/**
 * The registry. `mfn/argmax` is "no spiking": noise, adaptation and refractoriness off, so every
 * race is between equal neurons and picks argmax of the (still learned) inputs — see lif.ts.
 *
 * @example const factory = ROUTERS['p2c-pewma']({ decayTimeMs: 2_000 })
 */
export const ROUTERS: Readonly<Record<RouterName, RouterBuilder>> = {
  random: (o) => randomRouter(o),
  'round-robin': (o) => roundRobin(o),
  'least-loaded': (o) => leastLoaded(o),
  'p2c-pewma': (o) => p2cPeakEwma(o as P2cPeakEwmaInit | undefined),
  softmax: (o) => softmax(o as SoftmaxInit | undefined),
  mfn: (o) => mfn(o as MfnInit | undefined),
  'mfn/no-noise': mfnVariant({ noise: false }),
  'mfn/no-learning': mfnVariant({ learning: false }),
  'mfn/no-refractory': mfnVariant({ refractory: false }),
  'mfn/no-coordinates': mfnVariant({ coordinates: false }),
  'mfn/no-adaptation': mfnVariant({ adaptation: false }),
  'mfn/argmax': mfnVariant({
    name: 'mfn/argmax',
    noise: false,
    adaptation: false,
    refractory: false,
  }),
}

/**
 * The factory registered as `name`, built with `options`; throws `UnknownRouterError` for a name
 * not in `ROUTER_NAMES` and `MfnOptionsError` for bad options.
 */
export function routerFactory(name: string, options?: object): RouterFactory {
  if (!(ROUTER_NAMES as readonly string[]).includes(name)) {
    throw new UnknownRouterError(name, ROUTER_NAMES)
  }
  return ROUTERS[name as RouterName](options)
}
