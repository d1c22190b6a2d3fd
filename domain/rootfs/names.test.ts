import { ancestorsOf, comparePaths, imagePathOf, parentOf } from './names';

describe('imagePathOf', () => {
  it('reads the forms dpkg-deb writes', () => {
    expect(imagePathOf('./usr/bin/x')).toEqual({ ok: true, path: '/usr/bin/x' });
    expect(imagePathOf('usr/bin/x')).toEqual({ ok: true, path: '/usr/bin/x' });
    expect(imagePathOf('./usr/share/doc/')).toEqual({ ok: true, path: '/usr/share/doc' });
    expect(imagePathOf('./')).toEqual({ ok: true, path: '/' });
    expect(imagePathOf('.')).toEqual({ ok: true, path: '/' });
  });
  it.each([
    ['/etc/passwd', 'is absolute'],
    ['./../../etc/shadow', 'climbs out'],
    ['./usr/../../etc', 'climbs out'],
    ['./usr//bin', 'empty or "." segment'],
    ['./usr/./bin', 'empty or "." segment'],
    ['', 'is empty'],
    ['./a\0b', 'NUL'],
    [`./${'a'.repeat(5000)}`, 'at most 4096'],
  ])('refuses %j (%s)', (name, problem) => {
    const r = imagePathOf(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(problem);
  });
});

describe('paths', () => {
  it('lists ancestors root first and orders parents before children', () => {
    expect(ancestorsOf('/usr/bin/x')).toEqual(['/', '/usr', '/usr/bin']);
    expect(ancestorsOf('/')).toEqual([]);
    expect(parentOf('/usr')).toBe('/');
    const sorted = ['/usr/bin/x', '/usr-local', '/usr', '/usr/bin', '/', '/etc'].sort(comparePaths);
    expect(sorted).toEqual(['/', '/etc', '/usr', '/usr/bin', '/usr/bin/x', '/usr-local']);
  });
});
