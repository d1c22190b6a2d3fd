/**
 * The examples on arm64 (PLATFORM=linux/arm64): the dev stage runs on this
 * machine's amd64 dev image (Go cross-compiles; the others' output, classes,
 * JavaScript, a pure-Python venv, runs on any architecture) and the result
 * runs on the arm64 runtime image under emulation. The C example needs the
 * arm64 cc dev image (its compiler), an emulated build of many minutes here:
 * it runs on amd64 only (test/e2e/multistage.test.ts).
 */
import { dockerClient } from '../../lib/engine/client';
import { appOf, arm64RuntimeOf, EXAMPLES, loadBase, loadBases, runExample, useExampleWork } from '../support/examples';

jest.setTimeout(1_200_000);

const work = useExampleWork();

describe.each(EXAMPLES.flatMap((e) => ('onArm64' in e ? [{ ...e, onArm64: e.onArm64 }] : [])))('$example on arm64', ({ example, image, onArm64 }) => {
  test(`built in ${image}:trixie-dev (amd64), it runs on the arm64 ${image}:trixie under emulation`, async () => {
    const bases = await loadBases(work(), image);
    await loadBase(work(), image, 'runtime', 'arm64', arm64RuntimeOf(image));
    expect(await runExample(example, appOf(example, 'arm64'), { DEV_IMAGE: bases.dev, RUNTIME_IMAGE: arm64RuntimeOf(image), PLATFORM: 'linux/arm64' })).toBe(onArm64);
    const app = await dockerClient().getImage(appOf(example, 'arm64')).inspect();
    expect([app.Architecture, app.Config.User]).toEqual(['arm64', '65532:65532']);
  });
});
