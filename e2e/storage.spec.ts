import { expect, test, type Page } from '@playwright/test'
import { openTab, state, type Tab } from './fixtures'

/**
 * Storage assets (DESIGN.md §5) on real tabs: B offers its storage asset to direct peers and
 * grants A a capability on a range of it; A writes a few hundred KiB there over
 * `/hypermesh/memory/1`, reads them back, commits to them and audits B with proofs of
 * retrievability on random chunks. B's tab reloads: the bytes come back from its IndexedDB and
 * the audit still passes. When B changes one byte, or A audits against a commitment to other
 * content, the audit fails with the verifier's code; without a capability, nothing is read,
 * written or proved.
 */

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string }

/** Call `window.hypermeshAssets[fn](...args)` in a tab; a refusal comes back with its code. */
async function call(page: Page, fn: string, ...args: unknown[]): Promise<Outcome> {
  return page.evaluate(
    async ({ fn, args }) => {
      const api = (window as unknown as { hypermeshAssets?: Record<string, unknown> })
        .hypermeshAssets
      if (api === undefined) return { ok: false, code: 'NO_API', message: '' }
      try {
        const value = await (api[fn] as (...a: unknown[]) => Promise<unknown>)(...args)
        return { ok: true, value: value ?? null }
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string }
        return { ok: false, code: e.code ?? e.name ?? 'Error', message: e.message ?? '' }
      }
    },
    { fn, args },
  ) as Promise<Outcome>
}

/** The value of a call that must succeed. */
async function must<T = string>(page: Page, fn: string, ...args: unknown[]): Promise<T> {
  const r = await call(page, fn, ...args)
  if (!r.ok) throw new Error(`${fn} failed: ${r.code} ${r.message}`)
  return r.value as T
}

/** The code of a call that must be refused. */
async function refusal(page: Page, fn: string, ...args: unknown[]): Promise<string> {
  const r = await call(page, fn, ...args)
  if (r.ok) throw new Error(`${fn} was allowed`)
  expect(r.message.length).toBeGreaterThan(20)
  return r.code
}

interface Commitment {
  root: string
  size: number
}

type Audit =
  { ok: true; chunks: number; ms: number } | { ok: false; code: string; chunks: number; ms: number }

async function assetOf(page: Page, type: 'memory' | 'storage') {
  const asset = (await state(page)).assets.find((a) => a.type === type)
  if (asset === undefined) throw new Error(`no ${type} asset`)
  return asset
}

async function waitForAssets(page: Page): Promise<void> {
  await expect(page.getByTestId('assets-card')).toHaveAttribute('data-status', 'ready', {
    timeout: 60_000,
  })
  await expect
    .poll(async () => (await state(page)).assets.map((a) => a.type), { timeout: 10_000 })
    .toEqual(expect.arrayContaining(['memory', 'storage']))
}

/** Wait until both tabs see a direct WebRTC link to each other (what `p2p` reaches). */
async function waitForLink(a: Page, aId: string, b: Page, bId: string): Promise<void> {
  for (const [page, other] of [
    [a, bId],
    [b, aId],
  ] as const) {
    await expect
      .poll(
        async () =>
          (await state(page)).connections.some(
            (x) => x.peerId === other && x.transport === 'webrtc',
          ),
        { timeout: 60_000 },
      )
      .toBe(true)
  }
}

/** Deterministic bytes, different for each seed. */
function content(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

const b64 = (bytes: Buffer) => bytes.toString('base64')

test('storage: written over the wire, kept across a reload, audited with proofs of retrievability', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const tabs: Tab[] = []
  try {
    for (let i = 0; i < 2; i++) tabs.push(await openTab(browser, baseURL, '/'))
    const [a, b] = tabs.map((t) => t.page) as [Page, Page]
    for (const page of [a, b]) await waitForAssets(page)
    const [aId, bId] = await Promise.all([a, b].map(async (p) => (await state(p)).peerId))
    if (aId === undefined || bId === undefined) throw new Error('no peer IDs')
    await waitForLink(a, aId, b, bId)

    // 300 KiB at offset 8 KiB: 75 chunks of 4 KiB, not aligned to B's 64 KiB blocks.
    const offset = 8 * 1024 + 100
    const data = content(300 * 1024, 1)
    const storage = await assetOf(b, 'storage')
    let token = ''
    let commitment: Commitment = { root: '', size: 0 }

    await test.step('B offers its storage to direct peers and grants A a range of it', async () => {
      expect(storage.uri).toBe(`hypermesh://${bId}/${storage.assetId.split(':')[1]}:2`)
      await must(b, 'setPrivacy', 'storage', 'p2p')
      await expect.poll(async () => (await assetOf(b, 'storage')).privacy).toBe('p2p')
      await expect(b.getByTestId('asset-note-storage')).toContainText('16 MiB')
      token = await must(b, 'grant', aId, {
        asset: 'storage',
        offset: 0,
        length: 512 * 1024,
        rights: 'rw',
        ttlMs: 600_000,
      })
      expect(token).toMatch(/^[A-Za-z0-9+/]+=*$/)
    })

    await test.step('A writes 300 KiB to B’s storage, reads them back, commits and audits', async () => {
      await must(a, 'write', storage.uri, offset, b64(data), token)
      expect(await must(a, 'read', storage.globalAddress, offset, data.length, token)).toBe(
        b64(data),
      )
      expect(await must(b, 'localBytes', offset, data.length, 'storage')).toBe(b64(data))
      commitment = await must<Commitment>(a, 'commit', b64(data))
      expect(commitment).toEqual({
        root: expect.stringMatching(/^[0-9a-f]{64}$/),
        size: data.length,
      })
      const audit = await must<Audit>(a, 'audit', storage.uri, offset, commitment, 32, token)
      expect(audit).toMatchObject({ ok: true, chunks: 32 })
      // Every chunk at once: 75 of them.
      expect(
        await must<Audit>(a, 'audit', storage.uri, offset, commitment, 128, token),
      ).toMatchObject({ ok: true, chunks: 75 })
    })

    await test.step('an audit against a commitment to other content fails', async () => {
      const other = await must<Commitment>(a, 'commit', b64(content(data.length, 2)))
      expect(await must<Audit>(a, 'audit', storage.uri, offset, other, 16, token)).toMatchObject({
        ok: false,
        code: 'BAD_PROOF',
      })
      // Shifted by one byte: the same content at the wrong place is not the committed content.
      expect(
        await must<Audit>(a, 'audit', storage.uri, offset + 1, commitment, 128, token),
      ).toMatchObject({ ok: false })
    })

    await test.step('B’s tab reloads: the bytes are still there and the audit still passes', async () => {
      await b.reload()
      await waitForAssets(b)
      expect((await state(b)).peerId).toBe(bId)
      expect((await assetOf(b, 'storage')).uri).toBe(storage.uri)
      expect((await assetOf(b, 'storage')).privacy).toBe('p2p')
      expect(await must(b, 'localBytes', offset, data.length, 'storage')).toBe(b64(data))
      await waitForLink(a, aId, b, bId)
      // A may still hold its stream over the link the reload cut: the first request after it can
      // fail with STREAM_CLOSED, and the next one opens a stream over the new link.
      await expect
        .poll(async () => (await call(a, 'read', storage.uri, offset, data.length, token)).ok, {
          timeout: 60_000,
        })
        .toBe(true)
      expect(await must(a, 'read', storage.uri, offset, data.length, token)).toBe(b64(data))
      expect(
        await must<Audit>(a, 'audit', storage.uri, offset, commitment, 128, token),
      ).toMatchObject({ ok: true, chunks: 75 })
    })

    await test.step('without a capability nothing is read, written or proved', async () => {
      const before = await must(b, 'localBytes', 0, 512 * 1024, 'storage')
      const junk = b64(Buffer.from('junk'))
      expect(await refusal(a, 'write', storage.uri, offset, junk, '')).toBe('NO_CAPABILITY')
      expect(await refusal(a, 'read', storage.uri, offset, 16, '')).toBe('NO_CAPABILITY')
      expect(await refusal(a, 'audit', storage.uri, offset, commitment, 8, '')).toBe(
        'NO_CAPABILITY',
      )
      // A capability on B's memory is not one on its storage.
      const memoryToken = await must(b, 'grant', aId, {
        offset: 0,
        length: 64,
        rights: 'rw',
        ttlMs: 600_000,
      })
      expect(await refusal(a, 'write', storage.uri, 0, junk, memoryToken)).toBe(
        'CAPABILITY_WRONG_ADDRESS',
      )
      // Read-only: audits pass, writes are refused.
      const readOnly = await must(b, 'grant', aId, {
        asset: 'storage',
        offset: 0,
        length: 512 * 1024,
        rights: 'r',
        ttlMs: 600_000,
      })
      expect(await refusal(a, 'write', storage.uri, offset, junk, readOnly)).toBe(
        'CAPABILITY_NO_RIGHT',
      )
      expect(
        await must<Audit>(a, 'audit', storage.uri, offset, commitment, 8, readOnly),
      ).toMatchObject({ ok: true })
      // Outside the granted range.
      expect(await refusal(a, 'audit', storage.uri, 400 * 1024, commitment, 8, token)).toBe(
        'CAPABILITY_OUT_OF_RANGE',
      )
      expect(await must(b, 'localBytes', 0, 512 * 1024, 'storage')).toBe(before)
    })

    await test.step('the memory asset answers no proofs', async () => {
      await must(b, 'setPrivacy', 'memory', 'p2p')
      const memory = await assetOf(b, 'memory')
      const memoryToken = await must(b, 'grant', aId, {
        offset: 0,
        length: 4096,
        rights: 'rw',
        ttlMs: 600_000,
      })
      await must(a, 'write', memory.uri, 0, b64(data.subarray(0, 4096)), memoryToken)
      const small = await must<Commitment>(a, 'commit', b64(data.subarray(0, 4096)))
      expect(await refusal(a, 'audit', memory.uri, 0, small, 1, memoryToken)).toBe(
        'PROOF_NOT_SUPPORTED',
      )
    })

    await test.step('B pauses: even a valid capability is refused', async () => {
      await must(b, 'pause', true)
      expect(await refusal(a, 'audit', storage.uri, offset, commitment, 8, token)).toBe(
        'ASSET_PAUSED',
      )
      await must(b, 'pause', false)
    })

    await test.step('through the cards: B grants storage, A writes there and audits it', async () => {
      await b.getByTestId('grant-peer').fill(aId)
      await b.getByTestId('grant-asset').selectOption('storage')
      await b.getByTestId('grant-offset').fill('0')
      await b.getByTestId('grant-length').fill(String(512 * 1024))
      await b.getByTestId('grant-rights').selectOption('rw')
      await b.getByTestId('grant-submit').click()
      const granted = b.getByTestId('grant-result').locator('span').first()
      await expect(granted).toHaveText(/^[A-Za-z0-9+/]+=*$/)
      const cardToken = (await granted.textContent()) ?? ''

      await a.getByTestId('use-target').fill(storage.uri)
      await a.getByTestId('use-token').fill(cardToken)
      await a.getByTestId('use-offset').fill('450000')
      await expect(a.getByTestId('use-audit')).toBeDisabled()
      await a.getByTestId('use-text').fill('kept on the owner’s disk, audited from here')
      await a.getByTestId('use-write').click()
      await expect(a.getByTestId('use-result')).toContainText('Wrote')
      await a.getByTestId('use-audit').click()
      await expect(a.getByTestId('use-result')).toContainText('Audit passed')
      expect(
        Buffer.from(await must(b, 'localBytes', 450000, 8, 'storage'), 'base64').toString(),
      ).toBe('kept on ')
    })

    await test.step('B changes one byte of what A stored: A’s audit of every chunk fails', async () => {
      const at = offset + 150 * 1024
      const changed = Buffer.from([data[at - offset]! ^ 0xff])
      // The owner writes its own storage through its address: no capability needed.
      await must(b, 'write', storage.uri, at, b64(changed), '')
      expect(await must(b, 'localBytes', at, 1, 'storage')).toBe(b64(changed))
      expect(
        await must<Audit>(a, 'audit', storage.uri, offset, commitment, 128, token),
      ).toMatchObject({ ok: false, code: 'BAD_PROOF', chunks: 75 })
    })
  } finally {
    await Promise.all(tabs.map((t) => t.context.close()))
  }
})
