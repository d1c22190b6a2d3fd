import { successorOf } from './legacyWorkflows';

test.each([
  ['image:base:runtime', 'image:base:bookworm:runtime'],
  ['image:python3.11:dev', 'image:python3.11:bookworm:dev'],
  ['image:base:bookworm:runtime', undefined],
  ['image:base:trixie:dev', undefined],
  ['custom:app', undefined],
  ['image:base:prod', undefined],
])('%s -> %s', (id, successor) => expect(successorOf(id)).toBe(successor));
