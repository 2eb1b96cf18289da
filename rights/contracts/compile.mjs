// Compiles the registry contracts offline with the pinned npm `solc` (its JS API: no compiler
// download) and writes one JSON artifact per contract. The artifacts are committed; a test runs this
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
const SOURCES = ['StoryloomRegistry.sol', 'NaiveRegistry.sol']
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
const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS })))

const diagnostics = output.errors ?? []
for (const d of diagnostics) console.error(d.formattedMessage)
if (diagnostics.length > 0) {
  // Warnings fail too: the committed contracts compile cleanly.
  console.error(`solc reported ${diagnostics.length} diagnostic(s)`)
  process.exit(1)
}

mkdirSync(outDir, { recursive: true })
for (const sourceName of SOURCES) {
  for (const [contractName, contract] of Object.entries(output.contracts[sourceName])) {
    const artifact = {
      contractName,
      sourceName: `rights/contracts/${sourceName}`,
      sourceSha256: createHash('sha256').update(sources[sourceName].content).digest('hex'),
      compiler: { name: 'solc-js', version: solc.version() },
      settings: { viaIR: SETTINGS.viaIR, optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, metadata: SETTINGS.metadata },
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    }
    const path = join(outDir, `${contractName}.json`)
    writeFileSync(path, `${JSON.stringify(artifact, null, 2)}\n`)
    console.log(`${path}: ${(contract.evm.deployedBytecode.object.length / 2)} bytes deployed`)
  }
}
