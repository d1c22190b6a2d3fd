import { cascadeCoordinatorId, displayName, legacyCascadeCoordinatorId, parseImageArgument, publishedTags, withRelease, workflowIdFor } from './image';

test('workflow ids and names carry the release', () => {
  const image = { kind: 'catalog', name: 'python', release: 'trixie', variant: 'dev' } as const;
  expect(workflowIdFor(image)).toBe('image:python:trixie:dev');
  expect(displayName(image)).toBe('python:trixie-dev');
  expect(publishedTags(image)).toEqual(['trixie-dev', 'latest-dev']);
  expect(publishedTags({ ...image, release: 'bookworm', variant: 'runtime' })).toEqual(['bookworm']);
  const digest = `sha256:${'ab'.repeat(32)}`;
  expect(cascadeCoordinatorId(image, digest)).toBe('cascade:python:trixie:dev:abababababab');
  expect(legacyCascadeCoordinatorId(image, digest)).toBe('cascade:python:dev:abababababab');
});

test('an input recorded before releases names a bookworm image', () => {
  expect(withRelease({ kind: 'catalog', name: 'base', variant: 'runtime' })).toEqual({ kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' });
  expect(withRelease({ kind: 'catalog', name: 'base', release: 'trixie', variant: 'dev' }).release).toBe('trixie');
  expect(withRelease({ kind: 'custom', name: 'app' })).toEqual({ kind: 'custom', name: 'app' });
});

test('a name without a release means the newest the catalog builds it for', () => {
  const bookwormOnly = (name: string) => (name === 'canary' ? ('bookworm' as const) : undefined);
  expect(parseImageArgument('canary', bookwormOnly)).toMatchObject({ release: 'bookworm', variant: 'runtime' });
  expect(parseImageArgument('canary:latest-dev', bookwormOnly)).toMatchObject({ release: 'bookworm', variant: 'dev' });
  expect(parseImageArgument('python', bookwormOnly)).toMatchObject({ release: 'trixie' });
  expect(parseImageArgument('python:bookworm-dev', bookwormOnly)).toMatchObject({ release: 'bookworm', variant: 'dev' });
  expect(() => parseImageArgument('python:sid')).toThrow();
});
