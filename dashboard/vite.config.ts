import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** The app is served by the hub from dist/ at `/`; hashed file names under assets/ are cached for good. */
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', assetsDir: 'assets' },
});
