// The console is a static single-page app served by the API at /console (src/api/console.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic' } },
  // `npx vite --config console/vite.config.mts` for work on the console: the API stays where it runs.
  server: { proxy: { '/v1': process.env.CADENZA_URL ?? 'http://127.0.0.1:3000' } },
  build: {
    outDir: `${here}../dist/console`,
    emptyOutDir: true,
    // Everything ships in the package; nothing is inlined into index.html (the CSP allows only files).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
    reportCompressedSize: false,
    rolldownOptions: {
      // React Server Components markers mean nothing in a client-only bundle; timings are noise.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE' || log.code === 'PLUGIN_TIMINGS') return;
        handler(level, log);
      },
    },
  },
});
