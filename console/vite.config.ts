import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built into dist/console, which Recap serves under /console/ (src/http/console.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or data URLs: the Content-Security-Policy allows only files of this origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
