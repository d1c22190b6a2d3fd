import { binaryHeaders, imageEvent, structuredEvent } from './events';
import { signatureHeader, verifySignature, WebhooksFileSchema } from './webhooks';

describe('webhook signatures', () => {
  const body = '{"id":"x"}';
  const now = 1_800_000_000;
  it('verify with the secret, over the exact body, within the tolerance', () => {
    const header = signatureHeader('s3cret', body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret', body, header, now + 10)).toBe(true);
    expect(verifySignature('s3cret', `${body} `, header, now + 10)).toBe(false);
    expect(verifySignature('other', body, header, now + 10)).toBe(false);
    expect(verifySignature('s3cret', body, header, now + 3600)).toBe(false);
    expect(verifySignature('s3cret', body, undefined, now)).toBe(false);
    expect(verifySignature('s3cret', body, 't=1800000000,v1=zz', now)).toBe(false);
  });
});

describe('webhooks file', () => {
  it('names the field and the problem', () => {
    const bad = WebhooksFileSchema.safeParse({ webhooks: [{ name: 'Ops Team', url: 'ftp://x', events: ['image.deleted'] }] });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['webhooks.0.name', 'webhooks.0.url', 'webhooks.0.events.0']));
    expect(WebhooksFileSchema.safeParse({ webhooks: [{ name: 'a', url: 'http://127.0.0.1:1/h' }, { name: 'a', url: 'http://127.0.0.1:2/h' }] }).error?.issues[0]?.message).toBe('names a webhook twice');
    expect(WebhooksFileSchema.parse({ webhooks: [{ name: 'a', url: 'https://h.example/x' }] }).webhooks[0]).toMatchObject({ mode: 'structured', timeoutSeconds: 10 });
  });
});

describe('events', () => {
  it('have ids derived from what happened, and both CloudEvents modes carry the same attributes', () => {
    const e = imageEvent('cycle.failed', 'image:base:trixie:runtime', 'base:trixie', '2026-12-07T10:00:00.000Z', '4.2', { stage: 'testing' });
    expect(e.id).toBe('image:base:trixie:runtime/4.2/cycle.failed');
    expect(structuredEvent(e)).toEqual({ specversion: '1.0', id: e.id, source: 'tempered:image:base:trixie:runtime', type: 'dev.tempered.cycle.failed', subject: 'base:trixie', time: e.time, datacontenttype: 'application/json', data: { stage: 'testing' } });
    expect(binaryHeaders(e)).toMatchObject({ 'ce-id': e.id, 'ce-type': 'dev.tempered.cycle.failed', 'ce-source': 'tempered:image:base:trixie:runtime' });
  });
});
