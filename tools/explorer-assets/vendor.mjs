// Vendors the browser bundles of GraphiQL and Swagger UI into the subgraph kit, so that the
// explorers work without internet access (`make vendor-explorer` runs this).
//
// 1. installs the exact versions that package-lock.json pins (`npm ci --ignore-scripts`) into
//    a temporary folder, so no node_modules is left in the repository and no install script
//    runs (swagger-ui-dist depends on an analytics package whose postinstall phones home);
// 2. replaces libs/subgraph_kit/subgraph_kit/static/vendor/ with the files listed in ASSETS,
//    byte for byte as npm ships them, with each package's licence;
// 3. writes vendor/manifest.json: the version, size and SHA-256 of every file, which
//    tests/test_explorers.py checks against package-lock.json and the files on disk.
//
// Needs Node 20+ and npm, and the npm registry (or a warm npm cache). To move to other
// versions: edit package.json, run `npm install --package-lock-only --ignore-scripts` here,
// then `make vendor-explorer`, and commit the lock, the vendor folder and its manifest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = resolve(here, '../../libs/subgraph_kit/subgraph_kit/static/vendor');

// package -> [file in the package, name under vendor/<package>/]
const ASSETS = {
  graphiql: [
    ['graphiql.min.js', 'graphiql.min.js'], // UMD build: needs the React and ReactDOM globals
    ['graphiql.min.css', 'graphiql.min.css'], // fonts are inlined as data: URLs
    ['LICENSE', 'LICENSE'],
  ],
  react: [
    ['umd/react.production.min.js', 'react.production.min.js'],
    ['LICENSE', 'LICENSE'],
  ],
  'react-dom': [
    ['umd/react-dom.production.min.js', 'react-dom.production.min.js'],
    ['LICENSE', 'LICENSE'],
  ],
  'swagger-ui-dist': [
    ['swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
    ['swagger-ui.css', 'swagger-ui.css'],
    ['favicon-32x32.png', 'favicon-32x32.png'],
    ['LICENSE', 'LICENSE'],
    ['NOTICE', 'NOTICE'],
  ],
};

const work = mkdtempSync(join(tmpdir(), 'explorer-assets-'));
try {
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(here, file), join(work, file));
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: work,
    stdio: 'inherit',
    env: { ...process.env, SCARF_ANALYTICS: 'false' },
  });

  rmSync(target, { recursive: true, force: true });
  const manifest = {
    comment: 'Written by tools/explorer-assets/vendor.mjs (make vendor-explorer); do not edit by hand.',
    packages: {},
  };
  for (const [name, files] of Object.entries(ASSETS)) {
    const source = join(work, 'node_modules', name);
    const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
    const entry = { version, files: {} };
    mkdirSync(join(target, name), { recursive: true });
    for (const [from, to] of files) {
      const destination = join(target, name, to);
      copyFileSync(join(source, from), destination);
      const bytes = readFileSync(destination);
      entry.files[to] = {
        from,
        bytes: statSync(destination).size,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    }
    manifest.packages[name] = entry;
    const total = Object.values(entry.files).reduce((sum, file) => sum + file.bytes, 0);
    console.log(`vendored ${name}@${version}: ${files.length} files, ${(total / 1024).toFixed(0)} KiB`);
  }
  writeFileSync(join(target, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
