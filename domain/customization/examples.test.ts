/**
 * The example customizations in catalog/customizations read, and hold up
 * against their bases as the catalog defines them (the build checks them
 * again against the published base's real /etc/passwd).
 */
import * as path from 'node:path';
import { mergeAccounts, MINIMAL_GROUPS, MINIMAL_USERS } from '../catalog/accounts';
import { effectiveSpec } from '../catalog/effective';
import { findDefinition } from '../catalog/load';
import { problemsAgainstBase, tagClashes } from './checks';
import { customizationBases, loadCustomizations } from './load';

const CATALOG = path.resolve(__dirname, '../../catalog');
const examples = loadCustomizations(path.join(CATALOG, 'customizations'));

it('has the three examples: a Python app, an nginx site, a cc service', () => {
  expect(examples.map((e) => `${e.customization.name} on ${e.customization.base.image}`)).toEqual(
    expect.arrayContaining(['python-app on python', 'nginx-site on nginx', 'cc-service on cc']),
  );
});

it.each(examples.map((e) => [e.customization.name, e] as const))('%s fits its base', (_name, { customization: c }) => {
  const spec = effectiveSpec(findDefinition(CATALOG, c.base.image).definition, c.base.release, c.base.variant);
  const accounts = mergeAccounts({ users: [...MINIMAL_USERS], groups: [...MINIMAL_GROUPS] }, spec.accounts);
  expect(problemsAgainstBase(c, { image: c.base.image, variant: c.base.variant, ...accounts, excluded: spec.packages.exclude })).toEqual([]);
  expect(tagClashes(c, customizationBases(path.join(CATALOG, 'customizations')).bases)).toEqual([]);
});
