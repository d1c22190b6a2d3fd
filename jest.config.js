// One jest project per suite, so `--selectProjects` runs one of them.
// unit: pure code, tests beside it. The others need real parts (Temporal dev
// server, registry, dockerd) that test/support starts; never a download.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
const project = (displayName, testMatch) => ({ ...common, displayName, testMatch });

module.exports = {
  projects: [
    project('unit', ['<rootDir>/{domain,activities,client,workflows,scripts}/**/*.test.ts', '<rootDir>/test/unit-corpus/**/*.test.ts']),
    project('workflow', ['<rootDir>/test/workflow/**/*.test.ts']),
    project('e2e', ['<rootDir>/test/e2e/**/*.test.ts']),
    project('sign', ['<rootDir>/test/sign/**/*.test.ts']),
    project('faults', ['<rootDir>/test/faults/**/*.test.ts']),
    project('replay', ['<rootDir>/test/replay/**/*.test.ts']),
  ],
};
