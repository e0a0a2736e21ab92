// Validates an XML file against an XSD with libxml2's xmllint, compiled to WebAssembly
// (npm `xmllint-wasm`). Prints "ok" or xmllint's errors, exits 1 on an error.
// Usage: node xmllint.mjs TOOLS_DIR FILE.xml SCHEMA.xsd
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const tools = createRequire(join(resolve(process.argv[2]), "package.json"));
const { validateXML } = await import(pathToFileURL(tools.resolve("xmllint-wasm")).href);
const result = await validateXML({
  xml: [{ fileName: "report.xml", contents: readFileSync(process.argv[3], "utf8") }],
  schema: [readFileSync(process.argv[4], "utf8")],
});
if (result.valid) {
  console.log("ok");
} else {
  console.log(result.rawOutput);
  process.exit(1);
}
