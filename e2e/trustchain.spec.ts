import { expect, test } from '@playwright/test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { openTab, state, waitForDirect, type Tab } from './fixtures'

/** Direct WebRTC peers of a tab that passed the TrustChain handshake both ways. */
async function verifiedPeers(tab: Tab): Promise<string[]> {
  const s = await state(tab.page)
  return s.connections.filter((c) => c.transport === 'webrtc' && c.verified).map((c) => c.peerId)
}

test('tabs get certificates, verify each other, and refuse a tab with a tampered or foreign certificate', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(150_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  // ?target=3: each tab dials towards 3 direct peers, so 4 tabs form a near-full mesh.
  const tabs: Tab[] = []
  for (let i = 0; i < 4; i++) tabs.push(await openTab(browser, baseURL, '/?target=3'))
  const ids = await Promise.all(tabs.map((t) => waitForDirect(t.page, 20_000)))

  // Every tab holds a certificate in the log, and openssl accepts it against the server's root.
  const root = await (await fetch(`${baseURL}/api/trustchain/root`)).text()
  const dir = await mkdtemp(join(tmpdir(), 'e2e-trustchain-'))
  await writeFile(join(dir, 'root.pem'), root)
  for (const [i, tab] of tabs.entries()) {
    await expect
      .poll(async () => (await state(tab.page)).certificate?.logIndex ?? -1, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(0)
    const cert = (await state(tab.page)).certificate!
    await writeFile(join(dir, `tab${i}.pem`), cert.pem)
    const r = spawnSync(
      'openssl',
      ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'root.pem', `tab${i}.pem`],
      { cwd: dir, encoding: 'utf8' },
    )
    expect(r.stdout.trim()).toBe(`tab${i}.pem: OK`)
    const listed = (await (
      await fetch(`${baseURL}/api/trustchain/certificates?peer=${ids[i]}`)
    ).json()) as { certificates: { logIndex: number }[] }
    expect(listed.certificates.map((c) => c.logIndex)).toContain(cert.logIndex)
  }
  await rm(dir, { recursive: true, force: true })

  // Every direct link among the four is verified on both sides.
  for (const tab of tabs) {
    await expect
      .poll(
        async () => {
          const s = await state(tab.page)
          const direct = s.connections.filter((c) => c.transport === 'webrtc')
          return direct.length > 0 && direct.every((c) => c.verified)
        },
        { timeout: 30_000 },
      )
      .toBe(true)
  }
  await expect
    .poll(async () => (await Promise.all(tabs.map(verifiedPeers))).flat().length, {
      timeout: 30_000,
    })
    .toBeGreaterThanOrEqual(6)

  // Mallory presents a tampered certificate, then Trudy a valid certificate of another key.
  for (const [mode, check] of [
    ['tampered', 'chain'],
    ['foreign', 'peer-id'],
  ] as const) {
    const bad = await openTab(browser, baseURL, `/?target=4&trustchain-test=${mode}`)
    await expect.poll(async () => (await state(bad.page)).peerId, { timeout: 20_000 }).not.toBe('')
    const badId = (await state(bad.page)).peerId
    // Every honest tab that met it refused it, saying which check failed; none keeps a link to it.
    await expect
      .poll(
        async () => {
          const refusedBy = await Promise.all(
            tabs.map(async (t) =>
              (await state(t.page)).refusals.some(
                (r) => r.peerId === badId && r.state === 'refused' && r.reason?.check === check,
              ),
            ),
          )
          return refusedBy.filter(Boolean).length
        },
        { timeout: 60_000 },
      )
      .toBeGreaterThanOrEqual(2)
    for (const t of tabs) {
      const s = await state(t.page)
      const met = s.refusals.some((r) => r.peerId === badId)
      if (met)
        expect(
          s.refusals.filter((r) => r.peerId === badId).every((r) => r.reason?.check === check),
        ).toBe(true)
      await expect
        .poll(async () => (await verifiedPeers(t)).includes(badId), { timeout: 10_000 })
        .toBe(false)
    }
    // The refused tab is told why, too.
    // (Its list shows refusals of closed links: the link closes 0.5 s after the verdict.)
    await expect
      .poll(
        async () =>
          (await state(bad.page)).refusals.some(
            (r) => r.state === 'refused-by-peer' && r.reason?.check === check,
          ),
        { timeout: 15_000 },
      )
      .toBe(true)
    // And its home page shows it, with the failed check.
    await expect(bad.page.getByTestId('refusals')).toContainText(check)
    await bad.context.close()
  }

  // The honest tabs are still verified with each other.
  for (const tab of tabs) expect((await verifiedPeers(tab)).length).toBeGreaterThan(0)
  for (const t of tabs) await t.context.close()
})
