import { parseConfig } from './config';

const config = (env: Record<string, string>) => parseConfig({ TEMPERED_STATE_DIR: '/nonexistent', ...env });

test('architectures: both by default, a list in tempered\'s order, each checked', () => {
  expect(config({}).architectures).toEqual(['amd64', 'arm64']);
  expect(config({ TEMPERED_ARCHITECTURES: 'arm64, amd64' }).architectures).toEqual(['amd64', 'arm64']);
  expect(config({ TEMPERED_ARCHITECTURES: 'amd64', TEMPERED_BUILD_ARCHITECTURES: 'arm64' })).toMatchObject({ architectures: ['amd64'], buildArchitectures: ['arm64'] });
  expect(() => config({ TEMPERED_ARCHITECTURES: 'amd64,riscv64' })).toThrow('environment TEMPERED_ARCHITECTURES.1:');
  expect(() => config({ TEMPERED_ARCHITECTURES: 'amd64,amd64' })).toThrow('TEMPERED_ARCHITECTURES: lists an architecture twice');
  expect(() => config({ TEMPERED_BUILD_ARCHITECTURES: '' })).toThrow('TEMPERED_BUILD_ARCHITECTURES');
});
