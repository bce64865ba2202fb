// Compose a supergraph from a Rover-format config with @apollo/composition.
//
//   node compose.mjs [config.yaml] [output.graphql]          write the supergraph
//   node compose.mjs --check [config.yaml] [output.graphql]  exit 1 if output is stale
//
// Defaults: ../supergraph.yaml and ../supergraph.graphql (relative to this file).
// Like Rover, each subgraph's schema.file is resolved from the YAML file's folder.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const check = args.includes('--check');
const [configArg, outputArg] = args.filter((a) => a !== '--check');
const configPath = resolve(configArg ?? resolve(here, '../supergraph.yaml'));
const outputPath = resolve(outputArg ?? resolve(here, '../supergraph.graphql'));

function fail(...lines) {
  console.error(lines.join('\n'));
  process.exit(1);
}

let config;
try {
  config = YAML.parse(readFileSync(configPath, 'utf8'));
} catch (err) {
  fail(`compose: cannot read ${configPath}: ${err.message}`);
}

// Rover's `=X.Y.Z` pins composition exactly; require it to equal the locked package.
const installed = createRequire(import.meta.url)('@apollo/composition/package.json').version;
const wanted = String(config?.federation_version ?? '');
if (wanted !== `=${installed}`) {
  fail(
    `compose: ${configPath} has federation_version "${wanted}", ` +
      `but gateway/package-lock.json installs @apollo/composition ${installed}.`,
    `Set federation_version: =${installed} or change the pinned @apollo/composition version.`,
  );
}

const subgraphs = Object.entries(config?.subgraphs ?? {});
if (subgraphs.length === 0) fail(`compose: ${configPath} defines no subgraphs`);

const baseDir = dirname(configPath);
const services = subgraphs.map(([name, sub]) => {
  const file = sub?.schema?.file;
  if (!sub?.routing_url || !file) {
    fail(`compose: subgraph "${name}" needs routing_url and schema.file (only local files are supported)`);
  }
  const path = resolve(baseDir, file);
  try {
    return { name, url: sub.routing_url, typeDefs: parse(readFileSync(path, 'utf8')) };
  } catch (err) {
    const at = err.locations?.[0] ? `:${err.locations[0].line}:${err.locations[0].column}` : '';
    return fail(`compose: subgraph "${name}" (${path}${at}): ${err.message}`);
  }
});

const result = composeServices(services);

for (const hint of result.hints ?? []) {
  console.error(`hint [${hint.definition.code}] ${hint.message}`);
}
if (result.errors) {
  fail(
    `compose: composition failed with ${result.errors.length} error(s):`,
    ...result.errors.map((e) => `  - [${e.extensions?.code ?? 'ERROR'}] ${e.message}`),
  );
}

const sdl = result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`;
const rel = relative(process.cwd(), outputPath);
const shown = rel && !rel.startsWith('..') ? rel : outputPath;
if (check) {
  let current = null;
  try {
    current = readFileSync(outputPath, 'utf8');
  } catch {
    // missing file: reported as stale below
  }
  if (current !== sdl) fail(`compose: ${shown} is stale or missing; run \`make compose\``);
  console.error(`compose: ${shown} is up to date`);
} else {
  writeFileSync(outputPath, sdl);
  console.error(`compose: wrote ${shown} (${services.map((s) => s.name).join(', ')})`);
}
