// Builds dist/: one script a region embeds (vard-chat.js, styles inside),
// plus the stand-alone installable page (index.html, manifest, icons,
// service worker) copied from static/. `make widget` runs this.
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const out = "dist";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ["src/main.js"],
  outfile: `${out}/vard-chat.js`,
  bundle: true,
  format: "iife",
  minify: true,
  sourcemap: true,
  // Phones a few years old: Safari 15 (iOS 15), Chrome 100.
  target: ["es2020", "safari15", "chrome100", "firefox100"],
  loader: { ".css": "text" },
  legalComments: "linked",
  logLevel: "warning",
});

cpSync("static", out, { recursive: true });
