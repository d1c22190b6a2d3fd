import type { Advisory } from '../../domain/advisory/record';
import type { InstalledPackage } from '../../domain/debian/status';
import type { ImageRef } from '../../domain/imageId';
import type { LoadedFeed } from '../../lib/feeds/load';
import type { ImageSurvey, SurveyedImage } from '../../lib/monitor/images';
import { impactReport, releaseOfImage } from './impact';

const pkg = (name: string, version: string, source = name): InstalledPackage => ({ name, version, architecture: 'amd64', source, sourceVersion: version });

function surveyed(image: ImageRef, packages: InstalledPackage[]): SurveyedImage {
  const workflowId = image.kind === 'catalog' ? `image:${image.name}:${image.release}:${image.variant}` : `custom:${image.name}`;
  return { workflowId, image, digest: `sha256:${'a'.repeat(64)}`, reference: `127.0.0.1:5000/tempered/${image.name}`, packages, ownPackages: packages, waiting: [] };
}

function advisory(overrides: Partial<Advisory>): Advisory {
  return { id: 'CVE-2099-1300', aliases: [], source: 'openssl', fixedVersion: null, status: 'no-fix', severity: 'high', origin: 'debian-tracker', ...overrides };
}

const bookworm = surveyed({ kind: 'catalog', name: 'base', release: 'bookworm', variant: 'runtime' }, [pkg('libssl3', '3.0.17-1~deb12u1', 'openssl')]);
const trixie = surveyed({ kind: 'catalog', name: 'base', release: 'trixie', variant: 'runtime' }, [pkg('libssl3t64', '3.5.1-1', 'openssl')]);
const survey: ImageSurvey = { running: 2, images: [bookworm, trixie], unpublished: [], problems: [] };

const feed = (records: Advisory[]): LoadedFeed => ({ records, problems: [], skipped: { 'other-release': 0, withdrawn: 0 } });

describe('impactReport across releases', () => {
  const report = impactReport('tracker.json', feed([
    advisory({ status: 'fixed', fixedVersion: '3.5.1-1+deb13u1', release: 'trixie' }),
    advisory({ release: 'bookworm', reason: 'postponed' }),
    advisory({ id: 'CVE-2099-1310', source: 'curl', status: 'fixed', fixedVersion: '8.14.1-2+deb13u1', release: 'trixie' }),
  ]), survey);

  it('judges each image against its own release\'s records, with the release in each row', () => {
    expect(report.affected.map((r) => `${r.image} ${r.advisory} ${r.release} ${r.verdict}`)).toEqual([
      'base:bookworm CVE-2099-1300 bookworm no-fix-yet',
      'base:trixie CVE-2099-1300 trixie affected',
    ]);
    expect(report.unaffected).toEqual([]);
  });

  it('lists a record as not installed only in images of its release', () => {
    expect(report.notInstalled).toEqual([{ advisory: 'CVE-2099-1310', source: 'curl', release: 'trixie', images: ['base:trixie'], everywhere: true }]);
  });

  it('judges a record about every release against every image', () => {
    const everywhere = impactReport('cli.json', feed([advisory({ status: 'fixed', fixedVersion: '3.5.1-1' })]), survey);
    expect(everywhere.affected.map((r) => `${r.image} ${r.release ?? 'all'} ${r.verdict}`)).toEqual(['base:bookworm all affected']);
    expect(everywhere.unaffected.map((r) => `${r.image} ${r.verdict}`)).toEqual(['base:trixie fixed-in-image']);
  });
});

describe('releaseOfImage', () => {
  it('is a catalog image\'s own release, and unknown for a customization', () => {
    expect(releaseOfImage(trixie.image)).toBe('trixie');
    expect(releaseOfImage({ kind: 'custom', name: 'app' })).toBeUndefined();
  });
});
