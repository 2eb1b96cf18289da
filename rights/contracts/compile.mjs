// Compiles the registry and licensing contracts offline with the pinned npm `solc` (its JS API: no
// compiler download) and writes one JSON artifact per contract. Imports of "@openzeppelin/contracts/..."
// are read from node_modules (the version package.json pins; an artifact that used it names it), and
// nothing else may be imported. The artifacts are committed; a test runs this
// again into a temporary folder and checks the output is byte for byte the same.
//
//   node rights/contracts/compile.mjs [OUT_DIR]     (default: rights/contracts/artifacts)

import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const solc = require('solc')

const HERE = dirname(fileURLToPath(import.meta.url))
const SOURCES = ['StoryloomRegistry.sol', 'NaiveRegistry.sol', 'StoryloomLicensing.sol', 'NaiveLicensing.sol',
  'TestStablecoin.sol']
const NODE_MODULES = resolve(HERE, '..', '..', 'node_modules')
const LIBRARY = '@openzeppelin/contracts'
// The one warning allowed, and only in the library: transient storage (EIP-1153) "can break
// composability" unless cleared at the end of each call, which OpenZeppelin's reentrancy guard does.
const ALLOWED = [{ errorCode: '2394', file: `${LIBRARY}/utils/TransientSlot.sol` }]
// Fixed settings make the output reproducible: no metadata hash (it would change with comments and
// paths), a pinned EVM version (cancun: every current EVM chain has it), the IR pipeline (it
// compiles transferShare without stack-too-deep and spends less gas per call than the legacy one),
// the optimizer tuned for calls rather than deployment (runs = how often each opcode is expected
// to run).
const SETTINGS = {
  optimizer: { enabled: true, runs: 10000 },
  evmVersion: 'cancun',
  viaIR: true,
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
}

const outDir = resolve(process.argv[2] ?? join(HERE, 'artifacts'))
const sources = Object.fromEntries(SOURCES.map((name) => [name, { content: readFileSync(join(HERE, name), 'utf8') }]))
const libraryVersion = JSON.parse(readFileSync(join(NODE_MODULES, LIBRARY, 'package.json'), 'utf8')).version
function findImports(path) {
  if (!path.startsWith(`${LIBRARY}/`)) return { error: `${path}: only ${LIBRARY} may be imported` }
  return { contents: readFileSync(join(NODE_MODULES, path), 'utf8') }
}
const input = JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS })
const output = JSON.parse(solc.compile(input, { import: findImports }))

const allowed = (d) => d.severity === 'warning'
  && ALLOWED.some((a) => a.errorCode === d.errorCode && a.file === d.sourceLocation?.file)
const diagnostics = (output.errors ?? []).filter((d) => !allowed(d))
for (const d of diagnostics) console.error(d.formattedMessage)
if (diagnostics.length > 0) {
  // Warnings fail too: the committed contracts compile cleanly.
  console.error(`solc reported ${diagnostics.length} diagnostic(s)`)
  process.exit(1)
}

mkdirSync(outDir, { recursive: true })
for (const sourceName of SOURCES) {
  const usesLibrary = /^import\b.*"@openzeppelin\/contracts\//m.test(sources[sourceName].content)
  for (const [contractName, contract] of Object.entries(output.contracts[sourceName])) {
    if (contract.evm.bytecode.object === '') continue // an interface: nothing to deploy
    const artifact = {
      contractName,
      sourceName: `rights/contracts/${sourceName}`,
      sourceSha256: createHash('sha256').update(sources[sourceName].content).digest('hex'),
      compiler: { name: 'solc-js', version: solc.version() },
      settings: { viaIR: SETTINGS.viaIR, optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, metadata: SETTINGS.metadata },
      ...(usesLibrary ? { libraries: { [LIBRARY]: libraryVersion } } : {}),
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    }
    const path = join(outDir, `${contractName}.json`)
    writeFileSync(path, `${JSON.stringify(artifact, null, 2)}\n`)
    console.log(`${path}: ${(contract.evm.deployedBytecode.object.length / 2)} bytes deployed`)
  }
}
