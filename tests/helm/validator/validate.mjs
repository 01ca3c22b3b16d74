// Validates Kubernetes objects against the JSON schemas that ship, precompiled,
// in the npm packages kubernetes-models (core API groups) and
// @kubernetes-models/prometheus-operator (monitoring.coreos.com CRDs), pinned in
// package-lock.json beside this file and installed by
// scripts/bootstrap.d/20-k8s-validate.
//
//   node validate.mjs --modules DIR/node_modules FILE.json
//
// FILE.json holds a JSON array of objects (the test turns rendered YAML into
// it). Prints one line per object, "ok KIND NAME" or "invalid KIND NAME: why",
// and exits 1 if any object is invalid or of a kind there is no schema for
// (an unknown kind is a failure, never a skip), 2 on usage errors.
//
// Two passes, like kubeconform -strict:
//  1. schema: the models' JSON-schema validators (types, required fields,
//     enums, formats). The upstream OpenAPI schemas allow unknown fields.
//  2. strict: unknown (misspelt or misplaced) fields, which the API server
//     drops or rejects. Each object literal is type-checked by the TypeScript
//     compiler (pinned in the same lockfile) against the same packages'
//     declarations (I<Kind>), whose excess-property check names every field
//     the API does not define.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

function usage(msg) {
  process.stderr.write(`validate.mjs: ${msg}\nusage: node validate.mjs --modules DIR/node_modules FILE.json\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let modules = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--modules") modules = args[++i];
  else files.push(args[i]);
}
if (!modules || files.length !== 1) usage("need --modules and one input file");
if (!existsSync(join(modules, "kubernetes-models", "package.json"))) {
  usage(`no kubernetes-models under ${modules} (run scripts/bootstrap)`);
}

// apiVersion "group/version" (or "version" for the core group) and kind to the
// module that defines the model: its file inside the installed packages and
// its package specifier (for the type declarations).
function modelOf(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  const parts = apiVersion.split("/");
  if (parts.length > 2 || parts.some((p) => !/^[a-z0-9.-]+$/.test(p))) return null;
  const [group, version] = parts.length === 1 ? ["", parts[0]] : parts;
  const pkg = group === "monitoring.coreos.com" ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
  const specifier = [pkg, group, version, kind].filter(Boolean).join("/");
  const file = join(modules, ...pkg.split("/"), ...(group ? [group] : []), version, `${kind}.js`);
  return existsSync(file) ? { file, specifier } : null;
}

// Strict pass: returns, per object index, the TypeScript diagnostics of its
// object literal (unknown fields, wrong types), or null if typescript is absent.
async function strictCheck(checked) {
  const tsFile = join(modules, "typescript", "lib", "typescript.js");
  if (!existsSync(tsFile)) return null;
  const ts = (await import(pathToFileURL(tsFile).href)).default;
  const dir = mkdtempSync(join(tmpdir(), "k8s-validate-"));
  try {
    symlinkSync(resolve(modules), join(dir, "node_modules"), "dir");
    // One object per line: a diagnostic's line number is the object's index.
    const imports = [];
    const lines = [];
    checked.forEach(({ obj, model }, i) => {
      imports.push(`import type { I${obj.kind} as T${i} } from ${JSON.stringify(model.specifier)};`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj)};`);
    });
    const src = join(dir, "objects.mts");
    writeFileSync(src, [...lines, ...imports].join("\n") + "\n");
    const program = ts.createProgram([src], {
      strict: true, noEmit: true, skipLibCheck: true, types: [],
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const sf = program.getSourceFile(src);
    const byObject = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, " ");
      const line = d.file === sf && d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line : -1;
      if (line < 0 || line >= checked.length) {
        // Not about an object (a missing declaration, say): a setup error.
        throw new Error(`strict check: ${msg}`);
      }
      if (!byObject.has(line)) byObject.set(line, []);
      byObject.get(line).push(msg);
    }
    return byObject;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const objects = JSON.parse(readFileSync(files[0], "utf8"));
if (!Array.isArray(objects)) usage("input must be a JSON array of objects");

let bad = 0;
const results = [];
const checked = [];
for (const obj of objects) {
  const kind = obj?.kind;
  const id = `${obj?.apiVersion}/${kind} ${obj?.metadata?.name ?? "<no name>"}`;
  const result = { id, errors: [] };
  results.push(result);
  const model = modelOf(obj?.apiVersion, kind);
  if (!model) {
    result.errors.push("no schema for this apiVersion and kind");
    continue;
  }
  const Model = (await import(pathToFileURL(model.file).href))[kind];
  if (typeof Model !== "function" || typeof Model.is !== "function") {
    result.errors.push(`${model.file} exports no model ${kind}`);
    continue;
  }
  if (!Model.is(obj)) {
    result.errors.push("apiVersion/kind do not match the model");
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    result.errors.push(String(e.message ?? e).replace(/\s+/g, " "));
  }
  checked.push({ obj, model, result });
}

const strict = await strictCheck(checked);
if (strict === null) {
  usage(`no typescript under ${modules} (run scripts/bootstrap): the strict pass cannot run`);
}
checked.forEach(({ result }, i) => {
  for (const msg of strict.get(i) ?? []) result.errors.push(`strict: ${msg}`);
});

for (const { id, errors } of results) {
  if (errors.length) {
    bad++;
    console.log(`invalid ${id}: ${errors.join("; ")}`);
  } else {
    console.log(`ok ${id}`);
  }
}
process.exit(bad ? 1 : 0);
