/**
 * `tempered up` (the last step of scripts/up): one patch workflow per catalog
 * image and variant and per customization, then waits for every image to be
 * published, showing progress, and prints the UI address and the status.
 * Idempotent: workflows that run already are left as they are.
 */
import * as fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { initKeys } from '../../lib/signing/keys';
import type { Command } from 'commander';
import type { ImageStatus } from '../../client/status';
import type { Config } from '../../domain/config';
import { displayName, type ImageRef, VARIANTS, workflowIdFor } from '../../domain/imageId';
import { hostArchitecture } from '../../domain/platform';
import { minutesOption } from '../arguments';
import { CliError, endProgress, printJson, progressLine } from '../output';
import { withClient } from '../runtime';
import { printStatusTable, statusRows } from './status';

export function catalogImages(config: Config): ImageRef[] {
  const { loadCatalog } = require('../../domain/catalog/load') as typeof import('../../domain/catalog/load');
  const { loadCustomizations } = require('../../domain/customization/load') as typeof import('../../domain/customization/load');
  const { definitionReleases } = require('../../domain/catalog/definition') as typeof import('../../domain/catalog/definition');
  const images: ImageRef[] = loadCatalog(config.catalogDir).flatMap((d) =>
    definitionReleases(d).flatMap((release) => VARIANTS.map((variant) => ({ kind: 'catalog' as const, name: d.name, release, variant }))),
  );
  for (const { customization } of loadCustomizations(config.customizationsDir)) images.push({ kind: 'custom', name: customization.name });
  return images;
}

/**
 * Until every image is published or failed, or waits only for builds of an
 * architecture this machine emulates (arm64 dev images run their maintainer
 * scripts under qemu, minutes each): those finish on their own, and the
 * table says so.
 */
async function waitForPublished(client: Client, images: ImageRef[], timeoutMs: number): Promise<ImageStatus[]> {
  const expected = new Set(images.map(workflowIdFor));
  const deadline = Date.now() + timeoutMs;
  const { allImageStatuses } = require('../../client/status') as typeof import('../../client/status');
  const { waitsOnlyForEmulatedBuilds } = require('../../domain/patch/state') as typeof import('../../domain/patch/state');
  const host = hostArchitecture(process.arch);
  const emulatedOnly = (s: ImageStatus) => !!s.state && waitsOnlyForEmulatedBuilds(s.state, host);
  for (;;) {
    const statuses = await allImageStatuses(client, true);
    const mine = statuses.filter((s) => expected.has(s.workflowId));
    const published = mine.filter((s) => s.state?.published).length;
    const failed = mine.filter((s) => s.state?.phase === 'failed');
    const busy = mine.filter((s) => s.state && !s.state.published && s.state.phase !== 'failed');
    const emulated = busy.filter(emulatedOnly).length;
    const doing = busy.filter((s) => !emulatedOnly(s)).slice(0, 3).map((s) => `${displayName(s.state!.image)} ${s.state!.phase}${s.activity?.step ? ` (${s.activity.step})` : ''}`);
    progressLine(`published ${published}/${expected.size}${failed.length ? `, failed ${failed.length}` : ''}${emulated ? `, ${emulated} on emulated builds` : ''}${doing.length ? ` - ${doing.join('; ')}` : ''}`);
    if (published + failed.length + emulated >= expected.size || Date.now() > deadline) {
      if (emulated) console.error(`${emulated} image(s) still build for an emulated architecture (their rows below): they publish on their own; \`tempered status\` shows their progress`);
      endProgress();
      return statuses;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start one patch workflow per image, release and variant (idempotent) and wait for the first publish')
    .option('--no-wait', 'return once the workflows are started')
    .option('--server-setup-only', 'only create the namespace and search attributes a new Temporal server lacks (scripts/cluster, before its workers start)')
    .option('--timeout <minutes>', 'how long to wait for the first publish', '45')
    .option('--json', 'print JSON for scripts')
    .action(async (opts: { wait: boolean; serverSetupOnly?: boolean; timeout: string; json?: boolean }) => {
      // Checked even with --no-wait: a typo is better said than ignored (and NaN would wait forever).
      const timeout = minutesOption(opts.timeout);
      const { ensureImageWorkflow } = require('../../client/imageWorkflows') as typeof import('../../client/imageWorkflows');
      const { ensureMonitorSchedule, monitorSettingsFromEnv } = require('../../client/monitorSchedule') as typeof import('../../client/monitorSchedule');
      const { allImageStatuses } = require('../../client/status') as typeof import('../../client/status');
      await withClient(async (client, config) => {
        if (!fs.existsSync(config.signingKeyPath)) {
          const keys = initKeys(config.signingKeyPath);
          console.error(`created the signing key ${keys.privateKeyPath} (public: ${keys.publicKeyPath}, ${keys.fingerprint})`);
        }
        const { ensureNamespaceSetup, onceKnown } = require('../../client/namespaceSetup') as typeof import('../../client/namespaceSetup');
        const created = await ensureNamespaceSetup(client, config.temporal.namespace);
        for (const what of created) console.error(`created ${what}`);
        if (opts.serverSetupOnly) return;
        const images = catalogImages(config);
        for (const [i, image] of images.entries()) {
          // The first start waits until every service knows the namespace and attributes (created just now, or by --server-setup-only).
          await (i === 0 ? onceKnown(() => ensureImageWorkflow(client, config, image)) : ensureImageWorkflow(client, config, image));
        }
        const { endLegacyImageWorkflows } = require('../../client/legacyWorkflows') as typeof import('../../client/legacyWorkflows');
        for (const id of await endLegacyImageWorkflows(client, new Set(images.map(workflowIdFor)))) console.error(`ended ${id}: superseded by its per-release workflow`);
        const statuses = opts.wait ? await waitForPublished(client, images, timeout * 60_000) : await allImageStatuses(client);
        // The monitor polls the archive and the feeds on a Schedule; its first poll runs once the images are published.
        await ensureMonitorSchedule(client, config, monitorSettingsFromEnv(), { triggerImmediately: opts.wait });
        const { ensureRetentionSchedule } = require('../../client/retentionSchedule') as typeof import('../../client/retentionSchedule');
        await ensureRetentionSchedule(client, config);
        if (opts.json) printJson({ ui: config.temporal.uiUrl, images: statusRows(statuses) });
        else {
          console.log(`Temporal Web UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`);
          printStatusTable(statuses);
        }
        const failed = statuses.filter((s) => s.state?.phase === 'failed');
        if (opts.wait && failed.length) throw new CliError(`${failed.length} image(s) failed their first cycle: see the table above and docs/ONCALL.md`);
      });
    });
}
