import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `vite dev` proxies the API to a running `chartkeep serve` (CHARTKEEP_SERVE, e.g.
// http://127.0.0.1:8123) so the UI can be worked on against the real engine.
const serve = process.env.CHARTKEEP_SERVE;

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: serve ? { proxy: { '/api': { target: serve, changeOrigin: true } } } : {},
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
