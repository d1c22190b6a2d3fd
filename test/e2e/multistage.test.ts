/**
 * The multi-stage proof, for every example in examples/: each is compiled or
 * installed in its image's dev variant (source mounted read-only, network
 * none), copied onto the runtime variant with the classic builder from the
 * locally loaded base, and run with network none (test/support/examples.ts;
 * on arm64: test/emulated/multistage.test.ts).
 */
import { dockerClient } from '../../lib/engine/client';
import { runInContainer } from '../../lib/engine/run';
import { appOf, EXAMPLES, loadBases, runExample, useExampleWork } from '../support/examples';

jest.setTimeout(1_200_000);

const work = useExampleWork();

describe.each(EXAMPLES)('$example', ({ example, image, prints, absent }) => {
  let bases: { runtime: string; dev: string } | undefined;

  test(`built in ${image}:trixie-dev, it runs on ${image}:trixie as nonroot with network none`, async () => {
    bases = await loadBases(work(), image);
    expect(await runExample(example, appOf(example), { DEV_IMAGE: bases.dev, RUNTIME_IMAGE: bases.runtime })).toBe(prints);
  });

  test('the result is the runtime base plus the application: same user, no shell, no build tool', async () => {
    if (!bases) throw new Error('the bases were not built');
    const app = await dockerClient().getImage(appOf(example)).inspect();
    const base = await dockerClient().getImage(bases.runtime).inspect();
    expect(app.Config.User).toBe('65532:65532');
    expect(app.RootFS.Layers?.slice(0, base.RootFS.Layers?.length ?? 0)).toEqual(base.RootFS.Layers);

    const shell = await runInContainer({ image: appOf(example), entrypoint: ['/bin/sh'], command: ['-c', 'echo shell'], timeoutSeconds: 30 });
    expect(shell.exitCode).not.toBe(0);
    expect(shell.stdout).not.toContain('shell');
    const tool = await runInContainer({ image: appOf(example), entrypoint: [absent], command: ['--version'], timeoutSeconds: 30 });
    expect(tool.exitCode).not.toBe(0);
  });
});
