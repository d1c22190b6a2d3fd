// One jest project per suite, so `--selectProjects` runs one of them.
// unit: pure code, tests beside it. The others need real parts (Temporal dev
// server, registry, dockerd) that test/support starts; never a download.
const transform = { '^.+\\.[tj]s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
// Node 24 loads these ESM-only packages (@sigstore/sign's fetch stack) with require(esm); jest's module
// runtime does not without --experimental-vm-modules, so they are compiled to CommonJS like our own code.
const ESM_ONLY = ['agent-base', 'http-proxy-agent', 'https-proxy-agent', 'socks-proxy-agent', 'proxy-agent-negotiate'];
const transformIgnorePatterns = [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`];
const common = { testEnvironment: 'node', transform, transformIgnorePatterns, moduleFileExtensions: ['ts', 'js', 'json'] };
const project = (displayName, testMatch) => ({ ...common, displayName, testMatch });

module.exports = {
  projects: [
    project('unit', ['<rootDir>/{domain,activities,cli,client,lib,workflows,scripts}/**/*.test.ts', '<rootDir>/test/unit-corpus/**/*.test.ts']),
    project('workflow', ['<rootDir>/test/workflow/**/*.test.ts']),
    project('e2e', ['<rootDir>/test/e2e/**/*.test.ts']),
    project('sign', ['<rootDir>/test/sign/**/*.test.ts']),
    project('faults', ['<rootDir>/test/faults/**/*.test.ts']),
    project('replay', ['<rootDir>/test/replay/**/*.test.ts']),
    project('scripts', ['<rootDir>/test/scripts/**/*.test.ts']),
    project('scanners', ['<rootDir>/test/scanners/**/*.test.ts']),
    // arm64 images under qemu-user emulation: CPU-heavy, so it runs in the lane with more room (scripts/test).
    // The cluster shape (scripts/cluster): the real Temporal server on PostgreSQL, workers as separate processes.
    project('cluster', ['<rootDir>/test/cluster/**/*.test.ts']),
    project('emulated', ['<rootDir>/test/emulated/**/*.test.ts']),
  ],
};
