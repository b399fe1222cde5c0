import { defineConfig } from 'vite';

// The BFF serves dist/ at `/` (bff/src/web-assets.ts): hashed files under /assets/ are cached for a
// year, index.html is revalidated. `npm run dev -w web` proxies /graphql to a BFF on :4000.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    // The CSP allows no inline script: keep every byte of script in hashed files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
