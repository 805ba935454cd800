import type { NextConfig } from 'next'

const config: NextConfig = {
  reactStrictMode: true,
  // Native addon (N-API) used only by the headless node and the server; never bundled.
  serverExternalPackages: ['node-datachannel'],
  poweredByHeader: false,
}

export default config
