/**
 * Chromium's WebCrypto Ed25519 (BoringSSL) against the consensus rule, on Wycheproof's vectors and
 * the edge cases: the browser's consensus verifier runs the rule's prechecks and then WebCrypto, so
 * for every input `prechecks && webcrypto` must equal the rule. Runs Debian's Chromium headless.
 */
import { readFileSync } from 'node:fs'
import { bytesToHex } from '@noble/hashes/utils.js'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@/e2e/chromium'
import { KeyCheckCache, passesPrechecks, verifyByRule } from './ed25519-rule'
import { edgeCases, wycheproofCases } from './ed25519-test-cases'

const cases = [
  ...wycheproofCases(
    JSON.parse(
      readFileSync(
        new URL('../../testdata/vectors/ed25519/wycheproof_ed25519_test.json', import.meta.url),
        'utf8',
      ),
    ),
  ),
  ...edgeCases(),
]

let browser: Browser

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
})

describe('Chromium WebCrypto Ed25519', () => {
  it('with the rule’s prechecks gives the rule’s verdict on every input', async () => {
    const page = await browser.newPage()
    // A page on http://localhost is a secure context, where crypto.subtle exists.
    await page.route('http://localhost/blank', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>ed25519</title>' }),
    )
    await page.goto('http://localhost/blank')
    const inputs = cases.map((c) => [
      bytesToHex(c.publicKey),
      bytesToHex(c.message),
      bytesToHex(c.signature),
    ])
    const native: (boolean | string)[] = await page.evaluate(async (all) => {
      const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))
      const out: (boolean | string)[] = []
      for (const [k, m, s] of all) {
        try {
          const key = await crypto.subtle.importKey('raw', bytes(k!), 'Ed25519', false, ['verify'])
          out.push(await crypto.subtle.verify('Ed25519', key, bytes(s!), bytes(m!)))
        } catch (e) {
          out.push(`threw ${(e as Error).name}`)
        }
      }
      return out
    }, inputs)
    expect(native).toHaveLength(cases.length)
    const keys = new KeyCheckCache()
    const disagreements: string[] = []
    cases.forEach((c, i) => {
      const rule = verifyByRule(c.publicKey, c.message, c.signature)
      const browserVerdict =
        passesPrechecks(c.publicKey, c.message, c.signature, keys) && native[i] === true
      expect(browserVerdict, c.name).toBe(rule)
      if ((native[i] === true) !== rule) disagreements.push(`${c.name}: ${String(native[i])}`)
    })
    // Where bare WebCrypto differs from the rule, the prechecks are what keep the verdicts equal;
    // the list is printed so a change in Chromium shows in the test log.
    console.info(
      `bare WebCrypto differs from the rule on ${disagreements.length} inputs`,
      disagreements,
    )
    await page.close()
  })
})
