#!/usr/bin/env node
// A `solc` command line made from solc-js (the npm package `solc`), for py-solc-x and ape-solidity.
//
// py-solc-x only ever runs `solc --version` and `solc --standard-json [--base-path P]
// [--allow-paths A,B] [--include-path P]...` with the JSON input on stdin, so that is all this
// answers. Anything else fails loudly rather than being silently ignored.
//
// Imports the compiler asks for (sources not already in the JSON input) are looked up, in order:
// as given (absolute paths), under --base-path, under each --include-path, then under
// node_modules/ of the base path, of this repository and of the working directory. Remappings in
// the JSON settings are applied by the compiler itself before it asks.
"use strict";

const fs = require("fs");
const path = require("path");

const USAGE = "usage: solc --version | solc --standard-json [--base-path P] [--include-path P]... [--allow-paths A,B]";

function fail(message, code = 1) {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: null, includePaths: [], allowPaths: [], expectVersion: null };
  const takesValue = new Set(["--base-path", "--include-path", "--allow-paths", "--expect-version"]);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (takesValue.has(arg) && value === null) {
      if (i + 1 >= argv.length) fail(`${arg} needs a value\n${USAGE}`);
      value = argv[++i];
    }
    switch (arg) {
      case "--version": opts.version = true; break;
      case "--standard-json": opts.standardJson = true; break;
      case "--base-path": opts.basePath = value; break;
      case "--include-path": opts.includePaths.push(value); break;
      case "--allow-paths": opts.allowPaths.push(...value.split(",").filter(Boolean)); break;
      case "--expect-version": opts.expectVersion = value; break;
      case "-": break; // stdin marker; standard JSON always reads stdin
      default: fail(`unsupported argument '${argv[i]}' (this is solc-js behind a py-solc-x facade)\n${USAGE}`);
    }
  }
  return opts;
}

function loadCompiler(expectVersion) {
  let solc;
  try {
    solc = require("solc");
  } catch (err) {
    fail(`cannot load the npm package 'solc' (run 'make setup'): ${err.message}`);
  }
  const full = solc.version();
  if (expectVersion && !full.startsWith(`${expectVersion}+`)) {
    fail(`solc-js is ${full} but this executable stands for ${expectVersion}: reinstall with 'make setup'`);
  }
  return { solc, full };
}

function importResolver(opts) {
  const roots = [];
  const add = (p) => { if (p && !roots.includes(path.resolve(p))) roots.push(path.resolve(p)); };
  add(opts.basePath);
  opts.includePaths.forEach(add);
  add(opts.basePath && path.join(opts.basePath, "node_modules"));
  add(path.join(__dirname, "..", "node_modules"));
  add(path.join(process.cwd(), "node_modules"));
  return function findImports(importPath) {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
    for (const candidate of candidates) {
      try {
        if (fs.statSync(candidate).isFile()) return { contents: fs.readFileSync(candidate, "utf8") };
      } catch (_) { /* try the next root */ }
    }
    return { error: `File not found: '${importPath}' (looked in: ${roots.join(", ")})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.version && !opts.standardJson) fail(`nothing to do\n${USAGE}`);
  const { solc, full } = loadCompiler(opts.expectVersion);
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
    return;
  }
  const input = fs.readFileSync(0, "utf8");
  try {
    JSON.parse(input);
  } catch (err) {
    fail(`standard JSON input on stdin is not JSON: ${err.message}`);
  }
  // Same contract as native solc: compiler errors are reported inside the JSON, exit code 0.
  process.stdout.write(solc.compile(input, { import: importResolver(opts) }));
}

main();
