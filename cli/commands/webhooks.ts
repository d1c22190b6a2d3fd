/**
 * `tempered webhooks test URL`: sends a sample `image.published` CloudEvent
 * the way the workers do (same body, headers and signature), so a receiver
 * can be checked before it is configured. `tempered webhooks list`: what
 * TEMPERED_WEBHOOKS_FILE configures (names, URLs, events; never secrets).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { Webhook } from '../../domain/notify/webhooks';
import { CliError, ExitCode, printJson, printTable } from '../output';
import { config } from '../runtime';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description('CloudEvents notifications to webhooks (TEMPERED_WEBHOOKS_FILE)');
  webhooks
    .command('test')
    .description('send a sample image.published event to URL, signed with --secret-file when given')
    .argument('<url>', 'http(s) URL of the receiver')
    .option('--secret-file <file>', 'file holding the HMAC secret')
    .option('--mode <mode>', 'structured or binary', 'structured')
    .option('--json', 'print JSON for scripts')
    .action(async (url: string, opts: { secretFile?: string; mode: string; json?: boolean }) => {
      const { WebhooksFileSchema } = require('../../domain/notify/webhooks') as typeof import('../../domain/notify/webhooks');
      const { imageEvent } = require('../../domain/notify/events') as typeof import('../../domain/notify/events');
      const { deliverEvent } = require('../../lib/notify/deliver') as typeof import('../../lib/notify/deliver');
      const { describeZodError } = require('../../domain/advisory/record') as typeof import('../../domain/advisory/record');
      const webhook = { name: 'test', url, mode: opts.mode, ...(opts.secretFile ? { secretFile: path.resolve(opts.secretFile) } : {}) };
      const parsed = WebhooksFileSchema.safeParse({ webhooks: [webhook] });
      if (!parsed.success) throw new CliError(describeZodError(parsed.error).replace(/^webhooks\[0\]\./, ''), ExitCode.usage);
      const at = new Date().toISOString();
      const event = imageEvent('image.published', 'image:sample:trixie:runtime', 'sample:trixie', at, `test-${Date.now()}`, {
        image: 'sample:trixie', cycle: 1, digest: `sha256:${'0'.repeat(64)}`, reference: `${config().registry.host}/tempered/sample:trixie`, changelog: 'a sample event from tempered webhooks test',
      });
      try {
        const status = await deliverEvent(parsed.data.webhooks[0] as Webhook, event);
        if (opts.json) return printJson({ delivered: true, status, id: event.id });
        console.log(`delivered ${event.id} to ${url}: HTTP ${status}`);
      } catch (err) {
        if (opts.json) printJson({ delivered: false, message: (err as Error).message });
        throw new CliError((err as Error).message, ExitCode.failed);
      }
    });
  webhooks
    .command('list')
    .description('the webhooks TEMPERED_WEBHOOKS_FILE configures')
    .option('--json', 'print JSON for scripts')
    .action((opts: { json?: boolean }) => {
      const file = config().webhooksFile;
      if (!file) throw new CliError('TEMPERED_WEBHOOKS_FILE is not set: no webhooks are configured', ExitCode.failed);
      const { WebhooksFileSchema } = require('../../domain/notify/webhooks') as typeof import('../../domain/notify/webhooks');
      const { describeZodError } = require('../../domain/advisory/record') as typeof import('../../domain/advisory/record');
      const parsed = WebhooksFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!parsed.success) throw new CliError(`${file}: ${describeZodError(parsed.error)}`, ExitCode.usage);
      const list = parsed.data.webhooks.map(({ name, url, events, mode, secretFile }) => ({ name, url, events: events ?? ['all'], mode, signed: !!secretFile }));
      if (opts.json) return printJson(list);
      printTable(['NAME', 'URL', 'EVENTS', 'MODE', 'SIGNED'], list.map((w) => [w.name, w.url, w.events.join(', '), w.mode, w.signed ? 'yes' : 'no']));
    });
}

