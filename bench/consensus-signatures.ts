/**
 * Ed25519 verification rates of the consensus path (lib/crypto/ed25519-rule.ts and its adapters)
 * against the platform's native verification in the same run (DESIGN.md §10: ≥ 0.8 × native).
 *
 * - Node: node:crypto `verify` with a ready KeyObject per key (baseline) against
 *   `nodeEd25519Verifier` (the rule's prechecks, then node:crypto) with its cache off, so every
 *   check is a real one; plus the rule in JavaScript and noble's own verify, for reference.
 * - Chromium: WebCrypto `verify` with an imported key (baseline) against the browser's consensus
 *   verifier (`webCryptoEd25519Verifier().prepare`, prechecks + WebCrypto), bundled into the page.
 *
 * Inputs: 31 validator keys (a full committee), messages shaped like encoded votes (~150 bytes),
 * each signature distinct. Variants run interleaved, order rotated each round; the median rate of
 * the rounds is reported.
 */
import { verify as nodeVerify, type KeyObject } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import { ed25519 } from '@noble/curves/ed25519.js'
import type { Browser } from 'playwright-core'
import { ed25519KeyObject, nodeEd25519Verifier } from '@/lib/adapters/ed25519-node'
import { KeyCheckCache, verifyByRule } from '@/lib/crypto/ed25519-rule'
import { median } from './lib'

/** One signed input. */
interface Item {
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
}

/** Build `count` distinct signatures by 31 keys. */
export function signatureWorkload(count: number): Item[] {
  const keys = Array.from({ length: 31 }, (_, i) => new Uint8Array(32).fill(i + 1))
  const pubs = keys.map((k) => ed25519.getPublicKey(k))
  const items: Item[] = []
  for (let i = 0; i < count; i++) {
    const k = i % keys.length
    const message = new Uint8Array(150)
    new DataView(message.buffer).setUint32(0, i)
    message.fill(7, 4)
    items.push({ publicKey: pubs[k]!, message, signature: ed25519.sign(message, keys[k]!) })
  }
  return items
}

function rate(items: readonly Item[], check: (it: Item) => boolean): number {
  const t0 = performance.now()
  let ok = 0
  for (const it of items) if (check(it)) ok++
  const seconds = (performance.now() - t0) / 1000
  if (ok !== items.length) throw new Error(`bench: ${items.length - ok} valid signatures refused`)
  return items.length / seconds
}

/** Rates in Node, verifications per second, median over `rounds`. */
export function nodeSignatureRates(
  items: readonly Item[],
  rounds: number,
): Record<'native' | 'consensus' | 'jsRule' | 'noble', number> {
  const keyObjects = new Map<Uint8Array, KeyObject>()
  for (const it of items) {
    if (!keyObjects.has(it.publicKey)) keyObjects.set(it.publicKey, ed25519KeyObject(it.publicKey))
  }
  const consensus = nodeEd25519Verifier({ cache: null })
  const keys = new KeyCheckCache()
  const variants: [keyof ReturnType<typeof nodeSignatureRates>, (it: Item) => boolean][] = [
    ['native', (it) => nodeVerify(null, it.message, keyObjects.get(it.publicKey)!, it.signature)],
    ['consensus', (it) => consensus.verify(it.publicKey, it.message, it.signature)],
    ['jsRule', (it) => verifyByRule(it.publicKey, it.message, it.signature, keys)],
    ['noble', (it) => ed25519.verify(it.signature, it.message, it.publicKey, { zip215: false })],
  ]
  const small = items.slice(0, Math.max(200, Math.floor(items.length / 10)))
  const samples = new Map<string, number[]>(variants.map(([n]) => [n, []]))
  // Warm up every path once (JIT, key caches).
  for (const [, f] of variants) rate(small.slice(0, 50), f)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, f] = variants[(i + r) % variants.length]!
      // The JavaScript paths are ~50x slower: a tenth of the items keeps the run short.
      samples.get(name)!.push(rate(name === 'jsRule' || name === 'noble' ? small : items, f))
    }
  }
  return {
    native: median(samples.get('native')!),
    consensus: median(samples.get('consensus')!),
    jsRule: median(samples.get('jsRule')!),
    noble: median(samples.get('noble')!),
  }
}

/** Rates in Chromium: WebCrypto alone against the browser's consensus verifier. */
export async function browserSignatureRates(
  browser: Browser,
  items: readonly Item[],
  rounds: number,
): Promise<{ native: number; consensus: number; nativeAvailable: boolean }> {
  const bundle = await esbuild.build({
    stdin: {
      contents:
        "import { webCryptoEd25519Verifier } from '@/lib/adapters/ed25519-webcrypto'\n" +
        'globalThis.__makeVerifier = webCryptoEd25519Verifier\n',
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
    logLevel: 'silent',
  })
  const page = await browser.newPage()
  try {
    await page.route('http://localhost/bench-ed25519', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>ed25519</title>' }),
    )
    await page.goto('http://localhost/bench-ed25519')
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text })
    // tsx compiles this file with esbuild's keepNames: the evaluated function calls its helper.
    await page.addScriptTag({ content: 'window.__name = (f) => f' })
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    const input = items.map((it) => [hex(it.publicKey), hex(it.message), hex(it.signature)])
    return await page.evaluate(
      async ({ input, rounds }) => {
        const bytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16))
        const all = input.map(([k, m, s]) => ({ k: bytes(k!), m: bytes(m!), s: bytes(s!) }))
        const make = (
          globalThis as unknown as {
            __makeVerifier: () => Promise<{
              prepare(k: Uint8Array, m: Uint8Array, s: Uint8Array): Promise<boolean>
              native: boolean
              cache: { get(): unknown }
            }>
          }
        ).__makeVerifier
        const cryptoKeys = new Map<string, CryptoKey>()
        for (const [k] of input) {
          if (!cryptoKeys.has(k!)) {
            cryptoKeys.set(
              k!,
              await crypto.subtle.importKey('raw', bytes(k!), 'Ed25519', false, ['verify']),
            )
          }
        }
        const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
        const native: number[] = []
        const consensus: number[] = []
        let available = false
        for (let r = 0; r < rounds; r++) {
          for (const which of r % 2 === 0 ? ['native', 'consensus'] : ['consensus', 'native']) {
            // A fresh verifier per round: its verdict cache must not answer for repeated inputs.
            const v = await make()
            available = v.native
            const t0 = performance.now()
            const results = await Promise.all(
              all.map((it, i) =>
                which === 'native'
                  ? crypto.subtle.verify('Ed25519', cryptoKeys.get(input[i]![0]!)!, it.s, it.m)
                  : v.prepare(it.k, it.m, it.s),
              ),
            )
            const seconds = (performance.now() - t0) / 1000
            if (results.some((x) => !x)) throw new Error('a valid signature was refused')
            ;(which === 'native' ? native : consensus).push(all.length / seconds)
          }
        }
        return { native: med(native), consensus: med(consensus), nativeAvailable: available }
      },
      { input, rounds },
    )
  } finally {
    await page.close()
  }
}
