#!/usr/bin/env node
// Compile Morpho Blue from the sources of npm `@morpho-org/morpho-blue` (1.0.0) with solc-js at the
// version the sources pin (`pragma solidity 0.8.19`, the npm alias `solc-0_8_19`), with the settings of
// Morpho's own foundry.toml (default profile): via-IR, optimizer on with 999999 runs, evm version paris,
// no metadata hash. Writes one JSON file (ABI + creation bytecode of Morpho and of the IRM, oracle and
// ERC20 mocks the package ships) that the chain side deploys on anvil and on the in-process chain.
//
// usage: node toolchain/compile_morpho.cjs OUT.json      (idempotent: skips when OUT is up to date)
"use strict";

const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const PACKAGE = path.join(ROOT, "node_modules", "@morpho-org", "morpho-blue");
const COMPILER = "solc-0_8_19";
const CONTRACTS = {
  Morpho: "src/Morpho.sol",
  IrmMock: "src/mocks/IrmMock.sol",
  OracleMock: "src/mocks/OracleMock.sol",
  ERC20Mock: "src/mocks/ERC20Mock.sol",
};
// Morpho Blue's foundry.toml, [profile.default] (the profile its deployment is built with).
const SETTINGS = {
  viaIR: true,
  optimizer: { enabled: true, runs: 999999 },
  evmVersion: "paris",
  metadata: { bytecodeHash: "none" },
};

function fail(message) {
  process.stderr.write(`compile_morpho: ${message}\n`);
  process.exit(1);
}

function sources(dir, prefix) {
  const out = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const key = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, sources(full, key));
    else if (entry.name.endsWith(".sol")) out[key] = { content: fs.readFileSync(full, "utf8") };
  }
  return out;
}

function main() {
  const out = process.argv[2];
  if (!out) fail("usage: node toolchain/compile_morpho.cjs OUT.json");
  let pkg;
  let solc;
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE, "package.json"), "utf8"));
    solc = require(COMPILER);
  } catch (err) {
    fail(`npm packages missing (run 'make setup'): ${err.message}`);
  }
  const version = solc.version();
  const stamp = `${pkg.name}@${pkg.version} ${version} ${JSON.stringify(SETTINGS)}`;
  if (fs.existsSync(out)) {
    try {
      if (JSON.parse(fs.readFileSync(out, "utf8")).stamp === stamp) return;
    } catch (_) { /* rebuild */ }
  }
  const input = {
    language: "Solidity",
    sources: sources(path.join(PACKAGE, "src"), "src"),
    settings: {
      ...SETTINGS,
      outputSelection: Object.fromEntries(Object.values(CONTRACTS).map((file) => [file, { "*": ["abi", "evm.bytecode.object"] }])),
    },
  };
  const result = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (result.errors || []).filter((e) => e.severity === "error");
  if (errors.length) fail(errors.map((e) => e.formattedMessage).join("\n"));
  const contracts = {};
  for (const [name, file] of Object.entries(CONTRACTS)) {
    const compiled = result.contracts[file] && result.contracts[file][name];
    if (!compiled) fail(`${file}:${name} missing from the compiler output`);
    contracts[name] = { abi: compiled.abi, bytecode: compiled.evm.bytecode.object };
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(`${out}.tmp`, JSON.stringify({ stamp, package: `${pkg.name}@${pkg.version}`, compiler: version,
    settings: SETTINGS, contracts }));
  fs.renameSync(`${out}.tmp`, out);
  process.stdout.write(`compile_morpho: ${pkg.name}@${pkg.version} with solc ${version} -> ${out}\n`);
}

main();
