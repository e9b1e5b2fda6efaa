// Runs the browser suite: makes one fresh demo practice (each test file serves its own copy
// of it), then every specs/*.test.mjs one after another under `node --test`.
//   CHARTKEEP_BIN=target/release/chartkeep [CHARTKEEP_UI_DIR=ui/dist] node tests/browser/run.mjs [filter]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartkeepBin, chromiumPath, makeDemoPractice, uiDir } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
for (const [what, path] of [
  ['chartkeep binary (CHARTKEEP_BIN)', chartkeepBin],
  ['Chromium', chromiumPath],
]) {
  if (!existsSync(path)) {
    console.error(`Missing ${what}: ${path}`);
    process.exit(2);
  }
}
if (uiDir && !existsSync(join(uiDir, 'index.html'))) {
  console.error(`CHARTKEEP_UI_DIR has no index.html: ${uiDir}`);
  process.exit(2);
}

const filter = process.argv[2];
const specs = readdirSync(join(here, 'specs'))
  .filter((f) => f.endsWith('.test.mjs') && (!filter || f.includes(filter)))
  .sort()
  .map((f) => join(here, 'specs', f));

const work = mkdtempSync(join(tmpdir(), 'ck-browser-template-'));
let status = 1;
try {
  const template = join(work, 'practice');
  console.log(
    `Demo practice (60 patients, seed 1) in ${template}; server ${chartkeepBin}${uiDir ? `, UI from ${uiDir}` : ''}`,
  );
  makeDemoPractice(template);
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...specs],
    { stdio: 'inherit', env: { ...process.env, CHARTKEEP_TEST_TEMPLATE: template } },
  );
  status = r.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
