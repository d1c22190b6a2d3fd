import { isTemperedError, TemperedError } from './errors';
import { UnknownPackageError, ResolveError } from './debian/resolve';
import { TreeError } from './rootfs/errors';

class ExampleError extends TemperedError<'EXAMPLE_ONE' | 'EXAMPLE_TWO'> {}

describe('TemperedError', () => {
  it('carries its code and message, and is named after the concrete subclass', () => {
    const err = new ExampleError('EXAMPLE_ONE', 'something happened');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(TemperedError);
    expect(err.code).toBe('EXAMPLE_ONE');
    expect(err.message).toBe('something happened');
    expect(err.name).toBe('ExampleError');
    expect(String(err)).toBe('ExampleError: something happened');
  });

  it('keeps its cause', () => {
    const cause = new Error('underneath');
    expect(new ExampleError('EXAMPLE_TWO', 'on top', { cause }).cause).toBe(cause);
  });

  it('names a subclass of a subclass after itself, with the code its constructor gives', () => {
    const err = new UnknownPackageError('no package named foo');
    expect(err).toBeInstanceOf(ResolveError);
    expect(err.name).toBe('UnknownPackageError');
    expect(err.code).toBe('UNKNOWN_PACKAGE');
  });

  it('keeps a family\'s own fields beside the code', () => {
    const err = new TreeError('PATH_CONFLICT', 'two packages ship ./x', 'pkg-a', './x');
    expect(err).toMatchObject({ name: 'TreeError', code: 'PATH_CONFLICT', origin: 'pkg-a', path: './x' });
  });
});

describe('isTemperedError', () => {
  it('recognises any TemperedError, or one with a given code', () => {
    const err = new ExampleError('EXAMPLE_ONE', 'x');
    expect(isTemperedError(err)).toBe(true);
    expect(isTemperedError(err, 'EXAMPLE_ONE')).toBe(true);
    expect(isTemperedError(err, 'EXAMPLE_TWO')).toBe(false);
  });

  it('refuses plain errors and errno-style codes', () => {
    const errno = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(isTemperedError(errno)).toBe(false);
    expect(isTemperedError(errno, 'ENOENT')).toBe(false);
    expect(isTemperedError({ code: 'EXAMPLE_ONE', message: 'x' })).toBe(false);
    expect(isTemperedError(undefined)).toBe(false);
  });
});
