/**
 * A customization file is checked where it lands on its base, not only as
 * written: on a dev base, `/usr/lib/ssl/certs` is openssl's symlink to
 * `/etc/ssl/certs`, so `/usr/lib/ssl/certs/ca-certificates.crt` would replace
 * the CA bundle tempered manages (and its extra certificates with it).
 */
import { CustomizationSchema } from '../../../domain/customization/schema';
import { InputError } from '../../../domain/schema/errors';
import type { BaseFilesystem } from './baseFilesystem';
import { stagedFiles } from './build';

const DEV_BASE: { filesystem: BaseFilesystem } = {
  filesystem: {
    files: {},
    directories: { '/etc': { mode: 0o755, uid: 0, gid: 0 }, '/etc/ssl/certs': { mode: 0o755, uid: 0, gid: 0 }, '/usr/lib': { mode: 0o755, uid: 0, gid: 0 } },
    symlinks: { '/usr/lib/ssl/certs': '/etc/ssl/certs', '/lib': 'usr/lib' },
  },
};
const ACCOUNTS = { users: [{ name: 'root', uid: 0, gid: 0, gecos: '', home: '/root', shell: '/bin/sh' }], groups: [{ name: 'root', gid: 0, members: [] }] };

function problemsOf(path: string): string[] {
  const customization = CustomizationSchema.parse({ name: 'app', description: 'x', base: { image: 'base', variant: 'dev' }, tagSuffix: 'app', files: [{ path, content: 'forged bundle' }] });
  try {
    stagedFiles({ customization, file: '/c/app.yaml', dir: '/c', sourceDir: '/c/app' }, DEV_BASE, ACCOUNTS);
    return [];
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return err.problems.map((p) => `${p.field}: ${p.problem}`);
  }
}

test('a file that reaches a managed path through a base symlink is refused, naming where it lands', () => {
  expect(problemsOf('/usr/lib/ssl/certs/ca-certificates.crt')).toEqual([
    'files[0].path: /usr/lib/ssl/certs/ca-certificates.crt lands on /etc/ssl/certs/ca-certificates.crt in the base image, which tempered writes; use certificates instead',
  ]);
});

test('a file over a base directory, even through a symlink, is refused; over a symlink it replaces the link, as dpkg does', () => {
  expect(problemsOf('/lib/ssl')).toEqual([]);
  expect(problemsOf('/etc/ssl/certs')).toEqual(['files[0].path: /etc/ssl/certs is a directory in the base image']);
  expect(problemsOf('/usr/lib')).toEqual(['files[0].path: /usr/lib is a directory in the base image']);
  expect(problemsOf('/usr/lib/ssl/certs')).toEqual([]);
  expect(problemsOf('/usr/lib/ssl/certs/corp.crt')).toEqual([]);
});
