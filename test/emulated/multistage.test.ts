/**
 * Every example on arm64 (PLATFORM=linux/arm64), the result run on the arm64
 * runtime image under emulation. The dev stage runs on this machine's amd64
 * dev image where its output runs on any architecture (Go cross-compiles;
 * classes, JavaScript, a pure-Python venv), and C is compiled in the arm64
 * cc dev image (built and run under emulation: from the build cache a warm
 * run keeps).
 */
import { dockerClient } from '../../lib/engine/client';
import { appOf, arm64DevOf, arm64RuntimeOf, EXAMPLES, loadBase, loadBases, runExample, useExampleWork } from '../support/examples';

jest.setTimeout(1_200_000);

const work = useExampleWork();

describe.each(EXAMPLES.map((e) => ({ ...e, arm64Dev: 'devOnArm64' in e })))('$example on arm64', ({ example, image, onArm64, arm64Dev }) => {
  test(`built in ${image}:trixie-dev (${arm64Dev ? 'arm64, emulated' : 'amd64'}), it runs on the arm64 ${image}:trixie under emulation`, async () => {
    let dev: string;
    if (arm64Dev) await loadBase(work(), image, 'dev', 'arm64', (dev = arm64DevOf(image)));
    else dev = (await loadBases(work(), image)).dev;
    await loadBase(work(), image, 'runtime', 'arm64', arm64RuntimeOf(image));
    expect(await runExample(example, appOf(example, 'arm64'), { DEV_IMAGE: dev, RUNTIME_IMAGE: arm64RuntimeOf(image), PLATFORM: 'linux/arm64' })).toBe(onArm64);
    const app = await dockerClient().getImage(appOf(example, 'arm64')).inspect();
    expect([app.Architecture, app.Config.User]).toEqual(['arm64', '65532:65532']);
  });
});
