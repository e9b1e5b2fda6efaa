#!/usr/bin/env node
// Validates FHIR R4 JSON with the npm `fhir` package (FHIR.js, pinned in package-lock.json).
//
//   node tests/fhir/validate.mjs [--no-warnings] FILE_OR_DIR...
//
// Every `.json` file is one resource or a Bundle; every `.ndjson` file holds one resource a
// line; directories are walked for both. A Bundle is validated as a whole and each entry's
// resource on its own as well (messages that both passes find are printed once). One line a
// problem, `FILE[:LINE] ResourceType/id path: message`; warnings carry `warning:` before the
// message and never fail the run. Exit 1 when there is any error, 2 on bad usage.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { Fhir } = require('fhir');

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const fhir = new Fhir();
const types = fhir.parser.parsedStructureDefinitions;
const options = { errorOnUnexpected: true };

let showWarnings = true;
const paths = [];
for (const arg of process.argv.slice(2)) {
  if (arg === '--no-warnings') showWarnings = false;
  else if (arg === '-h' || arg === '--help') usage(0);
  else paths.push(arg);
}
if (paths.length === 0) usage(2);

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node tests/fhir/validate.mjs [--no-warnings] FILE_OR_DIR...\n',
  );
  process.exit(code);
}

let resources = 0;
let errors = 0;
let warnings = 0;

function problem(label, who, path, message) {
  errors += 1;
  console.log(`${label} ${who} ${path || '-'}: ${message}`);
}

function warn(label, who, path, message) {
  warnings += 1;
  if (showWarnings) console.log(`${label} ${who} ${path || '-'}: warning: ${message}`);
}

// The files to read: each named file, and under each named directory every .json/.ndjson
// (sorted, skipping node_modules and hidden folders).
function* files(path) {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    yield { path, missing: e.code || String(e) };
    return;
  }
  if (!st.isDirectory()) {
    yield { path };
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    const s = statSync(child);
    if (s.isDirectory()) {
      if (name !== 'node_modules' && !name.startsWith('.')) yield* files(child);
    } else if (name === 'manifest.json') {
      // A Bulk Data export's manifest describes the files; it is not a resource.
      continue;
    } else if (name.endsWith('.json') || name.endsWith('.ndjson')) {
      yield { path: child };
    }
  }
}

// The JSON documents of a file: [label, value] or [label, undefined, parse error].
function* documents(path) {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.ndjson')) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      const label = `${path}:${i + 1}`;
      try {
        yield [label, JSON.parse(lines[i])];
      } catch (e) {
        yield [label, undefined, e];
      }
    }
  } else {
    try {
      yield [path, JSON.parse(text)];
    } catch (e) {
      yield [path, undefined, e];
    }
  }
}

// The binding strength of the element at a FHIR.js location such as
// `AllergyIntolerance.reaction[0].manifestation[0]`, or undefined.
function bindingStrength(location) {
  const steps = location.split('.').map((s) => s.replace(/\[\d+\]$/, ''));
  let props = types[steps[0]] && types[steps[0]]._properties;
  let strength;
  for (const step of steps.slice(1)) {
    const prop = (props || []).find((p) => p._name === step);
    if (!prop) return undefined;
    strength = prop._valueSetStrength;
    props = prop._properties && prop._properties.length ? prop._properties : types[prop._type] && types[prop._type]._properties;
  }
  return strength;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function who(resource) {
  const type = isObject(resource) && typeof resource.resourceType === 'string' ? resource.resourceType : '?';
  const id = isObject(resource) && typeof resource.id === 'string' && resource.id ? resource.id : '?';
  return `${type}/${id}`;
}

// FHIR.js names a resource in its messages by its id, or (for a resource nested in another
// without an id) by its place in the enclosing one, e.g. `Bundle.entry[2].resource`; a
// top-level resource without an id is `#initial`. `key` is how this pass names the resource,
// so that the same message from the whole-Bundle pass and the per-entry pass is printed once.
function runValidator(resource, key, seen, label) {
  let response;
  try {
    response = fhir.validate(resource, options);
  } catch (e) {
    problem(label, who(resource), '-', `fhir (npm) validator crashed: ${e && e.message ? e.message : e}`);
    return;
  }
  for (const m of response.messages || []) {
    if (m.severity === 'info') continue; // "value set could not be found": nothing to act on
    // A code outside an `example` binding (LOINC in Observation.code, CVX in vaccineCode...)
    // is what the spec expects: only preferred and extensible bindings are worth a warning.
    if (m.severity === 'warning' && m.location && bindingStrength(m.location) === 'example') continue;
    const resourceId = m.resourceId === '#initial' ? key : m.resourceId;
    const dedupe = `${resourceId}|${m.location}|${m.severity}|${m.message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const location = m.location || '';
    const type = location ? location.split(/[./]/)[0] : isObject(resource) ? resource.resourceType || '?' : '?';
    const id = ID_RE.test(resourceId || '') ? resourceId : '?';
    if (m.severity === 'error' || m.severity === 'fatal') {
      problem(label, `${type}/${id}`, location, m.message);
    } else {
      warn(label, `${type}/${id}`, location, m.message);
    }
  }
}

// One resource as found in a file: counted, validated whole, and for a Bundle each entry's
// resource again on its own (recursively, for Bundles inside Bundles).
function validateTree(resource, key, seen, label, whole) {
  resources += 1;
  if (whole) runValidator(resource, key, seen, label);
  if (isObject(resource) && resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    resource.entry.forEach((entry, i) => {
      if (!isObject(entry) || !('resource' in entry)) return;
      const inner = entry.resource;
      const innerKey = isObject(inner) && inner.id ? inner.id : `Bundle.entry[${i}].resource`;
      runValidator(inner, innerKey, seen, label);
      // Count it; if it is a Bundle too, its entries get their own pass in turn (it was just
      // validated whole).
      validateTree(inner, innerKey, seen, label, false);
    });
  }
}

for (const arg of paths) {
  for (const f of files(arg)) {
    if (f.missing) {
      problem(f.path, '?/?', '-', `cannot read: ${f.missing}`);
      continue;
    }
    let docs;
    try {
      docs = [...documents(f.path)];
    } catch (e) {
      problem(f.path, '?/?', '-', `cannot read: ${e.message}`);
      continue;
    }
    for (const [label, value, err] of docs) {
      if (err) {
        problem(label, '?/?', '-', `invalid JSON: ${err.message}`);
        continue;
      }
      if (!isObject(value)) {
        problem(label, '?/?', '-', 'expected a JSON object (a FHIR resource)');
        continue;
      }
      validateTree(value, value.id || '#initial', new Set(), label, true);
    }
  }
}

console.log(`fhir (npm): ${resources} resources, ${errors} errors, ${warnings} warnings`);
process.exit(errors > 0 ? 1 : 0);
