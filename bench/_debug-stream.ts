import { launchBrowser, startServer } from './lib'
const server = await startServer({ port: 3450, label: 'dbg' })
const browser = await launchBrowser()
try {
  const open = async () => {
    const c = await browser.newContext()
    const p = await c.newPage()
    await p.goto(server.baseUrl + '/?bench')
    return p
  }
  const [a, b] = await Promise.all([open(), open()])
  for (const p of [a, b])
    await p.waitForFunction(
      'window.hypermeshBench !== undefined && window.hypermesh?.peerId',
      undefined,
      { timeout: 30000 },
    )
  const bId = (await b.evaluate('window.hypermesh.peerId')) as string
  await a.waitForFunction(
    `window.hypermesh.connections.some(c => c.peerId === '${bId}' && c.transport === 'webrtc')`,
    undefined,
    { timeout: 30000 },
  )
  for (const mib of (process.argv[2] ?? '4,8,16,32,32,32').split(',').map(Number)) {
    const t0 = Date.now()
    try {
      const r = await a.evaluate(`window.hypermeshBench.stream('${bId}', ${mib * 1048576})`)
      console.log(mib, 'MiB', JSON.stringify(r))
    } catch (e) {
      console.log(
        mib,
        'MiB error after',
        Date.now() - t0,
        'ms',
        (e as Error).message.split('\n')[0],
      )
    }
  }
} finally {
  await browser.close()
  await server.stop()
}
