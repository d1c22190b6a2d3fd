import { MINIMAL_GROUPS, MINIMAL_USERS } from '../catalog/accounts';
import { type BaseFacts, customTag, problemsAgainstBase, tagClashes } from './checks';
import { type Customization, CustomizationSchema } from './schema';

const customization = (fields: Record<string, unknown>): Customization =>
  CustomizationSchema.parse({ name: 'app', description: 'test', base: { image: 'base' }, tagSuffix: 'app', ...fields });

const BASE: BaseFacts = {
  image: 'base',
  variant: 'runtime',
  users: [...MINIMAL_USERS, { name: 'nonroot', uid: 65532, gid: 65532, gecos: '', home: '/home/nonroot', shell: '/sbin/nologin' }],
  groups: [...MINIMAL_GROUPS, { name: 'nonroot', gid: 65532, members: [] }],
  excluded: ['bash', 'dpkg', 'perl-base'],
};

describe('problemsAgainstBase', () => {
  it('accepts owners and runAs from the base and from the customization', () => {
    const c = customization({
      accounts: { groups: [{ name: 'svc', gid: 10001 }], users: [{ name: 'svc', uid: 10001, gid: 10001 }], runAs: 'svc' },
      files: [
        { path: '/etc/a', content: 'x', uid: 'nonroot', gid: 'nonroot' },
        { path: '/etc/b', content: 'x', uid: 'svc', gid: 'svc' },
        { path: '/etc/c', content: 'x', uid: 4242, gid: 4242 },
      ],
    });
    expect(problemsAgainstBase(c, BASE)).toEqual([]);
  });

  it('names unknown users and groups in owners and runAs', () => {
    const c = customization({
      accounts: { runAs: 'daemon' },
      files: [{ path: '/etc/a', content: 'x', uid: 'www-data', gid: 'staff' }],
    });
    expect(problemsAgainstBase(c, BASE)).toEqual([
      { field: 'files[0].uid', problem: 'unknown user "www-data" (known users: nobody, nonroot, root)' },
      { field: 'files[0].gid', problem: 'unknown group "staff" (known groups: nogroup, nonroot, root)' },
      { field: 'accounts.runAs', problem: 'unknown user "daemon" (known users: nobody, nonroot, root)' },
    ]);
  });

  it('names unknown group members', () => {
    const c = customization({ accounts: { groups: [{ name: 'svc', gid: 10001, members: ['ghost'] }] } });
    expect(problemsAgainstBase(c, BASE)).toEqual([{ field: 'accounts.groups[0].members[0]', problem: expect.stringMatching(/^unknown user "ghost"/) }]);
  });

  it('refuses a user that clashes with the base, naming the base', () => {
    const c = customization({ accounts: { users: [{ name: 'impostor', uid: 65532, gid: 65532 }] } });
    expect(problemsAgainstBase(c, BASE)).toEqual([
      { field: 'accounts', problem: 'accounts.users: impostor (65532) clashes with existing user nonroot (65532) (in the base image base:runtime)' },
    ]);
  });

  it('refuses root for a runtime customization, by name or id, but not for dev', () => {
    expect(problemsAgainstBase(customization({ accounts: { runAs: 'root' } }), BASE)).toEqual([
      { field: 'accounts.runAs', problem: 'runtime images never run as root (variant policy); run as a service user instead' },
    ]);
    expect(problemsAgainstBase(customization({ accounts: { runAs: 0 } }), BASE)).toHaveLength(1);
    expect(problemsAgainstBase(customization({ base: { image: 'base', release: 'bookworm', variant: 'dev' }, accounts: { runAs: 'root' } }), { ...BASE, variant: 'dev' })).toEqual([]);
  });

  it('refuses packages the base keeps out', () => {
    expect(problemsAgainstBase(customization({ packages: ['curl', 'bash'] }), BASE)).toEqual([
      { field: 'packages[1]', problem: 'bash is kept out of base runtime images by its definition or the runtime variant policy' },
    ]);
  });
});

describe('tags', () => {
  it('puts the suffix after the base tag', () => {
    expect(customTag('bookworm', 'payments')).toBe('bookworm-payments');
    expect(customTag('bookworm-dev', 'payments')).toBe('bookworm-dev-payments');
  });

  it('finds another customization writing the same repository and tag', () => {
    const c = customization({});
    expect(tagClashes(c, [
      { name: 'app', base: { image: 'base', release: 'bookworm', variant: 'runtime' }, tagSuffix: 'app' },
      { name: 'twin', base: { image: 'base', release: 'bookworm', variant: 'runtime' }, tagSuffix: 'app' },
      { name: 'dev-twin', base: { image: 'base', release: 'bookworm', variant: 'dev' }, tagSuffix: 'app' },
      { name: 'elsewhere', base: { image: 'python', release: 'bookworm', variant: 'runtime' }, tagSuffix: 'app' },
    ])).toEqual(['twin']);
  });
});
