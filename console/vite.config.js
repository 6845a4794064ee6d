// The console builds into the Python package (app/http/console/), which serves it at /console:
// `yiwang serve --demo` needs no node. Rebuild with `npm run build` after changing src/.
import { fileURLToPath, URL } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  resolve: {
    alias: {
      // The shells' own message and word tables and formatters: one source for both.
      "@shells": fileURLToPath(new URL("../miniprogram/src/core", import.meta.url)),
    },
  },
  build: {
    outDir: fileURLToPath(new URL("../app/http/console", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
