import { launchBrowser, startServer } from './lib'
const server = await startServer({ port: 3450, label: 'dbg' })
const browser = await launchBrowser()
try {
  const open = async () => { const c = await browser.newContext(); const p = await c.newPage(); await p.goto(server.baseUrl + '/?bench'); return p }
  const [a, b] = await Promise.all([open(), open()])
  for (const p of [a, b]) await p.waitForFunction('window.hypermeshBench !== undefined && window.hypermesh?.peerId', undefined, { timeout: 30000 })
  const bId = await b.evaluate('window.hypermesh.peerId') as string
  await a.waitForFunction(`window.hypermesh.connections.some(c => c.peerId === '${bId}' && c.transport === 'webrtc')`, undefined, { timeout: 30000 })
  await new Promise(r => setTimeout(r, Number(process.argv[3] ?? 0)))
  for (const mib of (process.argv[2] ?? '32,32,32').split(',').map(Number)) {
    const t0 = Date.now()
    const r = await a.evaluate(`window.hypermeshBench.stream('${bId}', ${mib * 1048576}).then(r => r, e => ({ name: e.name, code: e.code, message: e.message, stack: String(e.stack).slice(0, 1500), cause: String(e.cause) }))`)
    console.log(mib, 'MiB', Date.now() - t0, 'ms', JSON.stringify(r, null, 1))
    console.log('A conns', JSON.stringify(await a.evaluate('window.hypermesh.connections')))
  }
} finally { await browser.close(); await server.stop() }
