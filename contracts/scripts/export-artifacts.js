#!/usr/bin/env node
// Exports the committed build artifacts from forge's out/ directory.
//
//   node scripts/export-artifacts.js [OUT_DIR] [DEST_DIR]     (defaults: out, artifacts)
//
// Writes DEST_DIR/<ContractName>.json for each contract listed below, in the Foundry artifact
// shape that alloy's `sol!` macro accepts:
//   { "abi": [...], "bytecode": { "object": "0x…" }, "contractName": "…",
//     "deployedBytecode": { "object": "0x…" }, "sourceName": "src/…", "storageLayout": {…} }
// Object keys are sorted recursively (array order is kept) and AST ids are dropped from the
// storage layout (variables, struct members and type names), so the output depends only on the
// sources and the compiler settings.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

// Contract name => source file (relative to the project root).
const CONTRACTS = {
  L1Block: 'src/L2/L1Block.sol',
  GasPriceOracle: 'src/L2/GasPriceOracle.sol',
  L2ToL1MessagePasser: 'src/L2/L2ToL1MessagePasser.sol',
  TestToken: 'src/fixtures/TestToken.sol',
  StorageHeavy: 'src/fixtures/StorageHeavy.sol',
  Reverter: 'src/fixtures/Reverter.sol',
  OpenToken: 'src/L1/OpenToken.sol',
  OpenPortal: 'src/L1/OpenPortal.sol',
  SettlementInbox: 'src/L1/SettlementInbox.sol',
  AttestationVerifier: 'src/L1/AttestationVerifier.sol',
  // L2: the $OPEN economy (deployed by script/DeployL2Economy.s.sol).
  WOPEN: 'src/L2/economy/WOPEN.sol',
  OpenGovernor: 'src/L2/economy/OpenGovernor.sol',
  TimelockController: 'node_modules/@openzeppelin/contracts/governance/TimelockController.sol',
  DatanetRegistry: 'src/L2/economy/DatanetRegistry.sol',
  ModelRegistry: 'src/L2/economy/ModelRegistry.sol',
  OpenStaking: 'src/L2/economy/OpenStaking.sol',
  InferencePayments: 'src/L2/economy/InferencePayments.sol',
};

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

// AST ids change with whatever else is compiled in the same run, so they are dropped: the
// `astId` of every variable and struct member, and the id solc appends to struct, enum, contract
// and user-defined value type names ("t_struct(Foo)123_storage" -> "t_struct(Foo)_storage").
function stripAstIds(value) {
  if (typeof value === 'string') {
    return value.replace(/(t_(?:struct|enum|contract|userDefinedValueType)\([^)]*\))\d+/g, '$1');
  }
  if (Array.isArray(value)) return value.map(stripAstIds);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [key, v] of Object.entries(value)) {
      if (key !== 'astId') out[stripAstIds(key)] = stripAstIds(v);
    }
    return out;
  }
  return value;
}

function cleanStorageLayout(layout) {
  if (!layout) return undefined;
  return stripAstIds({ storage: layout.storage || [], types: layout.types || null });
}

function withPrefix(hex) {
  if (typeof hex !== 'string' || hex.length === 0 || hex === '0x') {
    throw new Error('empty bytecode');
  }
  return hex.startsWith('0x') ? hex : `0x${hex}`;
}

function exportOne(outDir, destDir, name, source) {
  const file = path.join(outDir, path.basename(source), `${name}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(`missing forge artifact ${file}: run forge build first`);
  }
  const art = JSON.parse(fs.readFileSync(file, 'utf8'));
  const target = art.metadata && art.metadata.settings && art.metadata.settings.compilationTarget;
  if (target && target[source] !== name) {
    throw new Error(`${file} was compiled from ${JSON.stringify(target)}, expected ${source}:${name}`);
  }
  for (const kind of ['bytecode', 'deployedBytecode']) {
    const obj = art[kind] && art[kind].object;
    if (typeof obj === 'string' && obj.includes('__$')) {
      throw new Error(`${name}.${kind} has unlinked library placeholders`);
    }
  }
  const out = {
    contractName: name,
    sourceName: source,
    abi: art.abi,
    bytecode: { object: withPrefix(art.bytecode.object) },
    deployedBytecode: { object: withPrefix(art.deployedBytecode.object) },
  };
  const layout = cleanStorageLayout(art.storageLayout);
  if (layout) out.storageLayout = layout;

  const dest = path.join(destDir, `${name}.json`);
  fs.writeFileSync(dest, JSON.stringify(sortKeys(out), null, 2) + '\n');
  return dest;
}

function main() {
  const outDir = path.resolve(ROOT, process.argv[2] || 'out');
  const destDir = path.resolve(ROOT, process.argv[3] || 'artifacts');
  fs.mkdirSync(destDir, { recursive: true });
  for (const [name, source] of Object.entries(CONTRACTS)) {
    const dest = exportOne(outDir, destDir, name, source);
    process.stdout.write(`exported ${path.relative(process.cwd(), dest) || dest}\n`);
  }
}

main();
