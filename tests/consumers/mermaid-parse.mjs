// Parses every ```mermaid block of a Markdown file with Mermaid's own parser (npm
// `mermaid`), under jsdom as a browser stands in. Prints "ok N" or the parser's error,
// and exits 1 on an error. Usage: node mermaid-parse.mjs TOOLS_DIR FILE.md, where
// TOOLS_DIR holds the node_modules that scripts/test installs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const tools = createRequire(join(resolve(process.argv[2]), "package.json"));
const load = (name) => import(pathToFileURL(tools.resolve(name)).href);
const { JSDOM } = await load("jsdom");

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
Object.defineProperty(globalThis, "navigator", { value: dom.window.navigator, configurable: true });

const { default: mermaid } = await load("mermaid");
mermaid.initialize({ startOnLoad: false });

const text = readFileSync(process.argv[3], "utf8");
const blocks = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
if (blocks.length === 0) {
  console.log("no mermaid block");
  process.exit(1);
}
for (const block of blocks) {
  if (block.length > 50000) {
    console.log(`a chart of ${block.length} characters is over Mermaid's default maxTextSize (50000)`);
    process.exit(1);
  }
  try {
    await mermaid.parse(block);
  } catch (e) {
    console.log(`mermaid.parse: ${e.message ?? e}`);
    process.exit(1);
  }
}
console.log(`ok ${blocks.length}`);
