import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `vite dev` proxies the API to a running `chartkeep serve`: set CHARTKEEP_SERVE to the URL it
// printed (with its token). The proxy sends the token as a bearer header and drops the dev
// server's Origin, which serve would rightly refuse as foreign.
const serve = process.env.CHARTKEEP_SERVE ? new URL(process.env.CHARTKEEP_SERVE) : null;
const proxy = serve
  ? {
      '/api': {
        target: serve.origin,
        changeOrigin: true,
        headers: { Authorization: `Bearer ${serve.searchParams.get('token') ?? ''}` },
        configure: (p: {
          on: (ev: 'proxyReq', fn: (req: { removeHeader(n: string): void }) => void) => void;
        }) => p.on('proxyReq', (req) => req.removeHeader('origin')),
      },
    }
  : undefined;

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: { proxy },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
