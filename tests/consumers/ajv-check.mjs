// Compiles a JSON Schema with ajv in strict mode (as editors' JSON/YAML/TOML extensions
// do) and validates JSON documents against it. Prints one line per document: "ok PATH"
// or "invalid PATH: ajv's errors"; exits 1 if the schema does not compile.
// Usage: node ajv-check.mjs TOOLS_DIR SCHEMA.json DOC.json...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const tools = createRequire(join(resolve(process.argv[2]), "package.json"));
const Ajv = tools("ajv").default;
const ajv = new Ajv({ strict: true, allErrors: true });
let validate;
try {
  validate = ajv.compile(JSON.parse(readFileSync(process.argv[3], "utf8")));
} catch (e) {
  console.log(`schema does not compile in strict mode: ${e.message}`);
  process.exit(1);
}
for (const path of process.argv.slice(4)) {
  const ok = validate(JSON.parse(readFileSync(path, "utf8")));
  console.log(ok ? `ok ${path}` : `invalid ${path}: ${ajv.errorsText(validate.errors)}`);
}
