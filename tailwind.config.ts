import type { Config } from 'tailwindcss'

// Loaded from app/globals.css with `@config`; Tailwind 4 reads theme extensions from here.
const config: Config = {
  content: ['./app/**/*.{ts,tsx}', './lib/client/**/*.{ts,tsx}'],
  theme: {
    extend: {
      colors: {
        mesh: {
          50: '#eefbf7',
          400: '#2dd4a7',
          500: '#14b88d',
          600: '#0a9473',
          900: '#06372c',
        },
      },
      fontFamily: {
        mono: ['ui-monospace', 'SFMono-Regular', 'Menlo', 'monospace'],
      },
    },
  },
}

export default config
