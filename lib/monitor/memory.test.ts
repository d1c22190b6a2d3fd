import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emptyMemory, exclusive, forgetStale, memoryFile, type MonitorMemory, readMemory, writeMemory } from './memory';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempered-monitor-memory-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const at = (iso: string) => ({ sentAt: iso, seenAt: iso });

function sample(): MonitorMemory {
  return {
    version: 1,
    images: {
      'image:base:runtime': {
        advisories: { 'CVE-2024-5535/openssl@3.0.16-1~deb12u1': { status: 'fixed', fixOffered: false, ...at('2025-05-20T10:00:00.000Z') } },
        packages: { 'libssl3 3.0.16-1~deb12u1': at('2025-05-20T10:00:00.000Z') },
      },
    },
  };
}

describe('monitor memory file', () => {
  it('lives under <stateDir>/monitor/', () => {
    expect(memoryFile('/var/lib/tempered')).toBe('/var/lib/tempered/monitor/sent.json');
  });

  it('is empty when there is no file yet', () => {
    expect(readMemory(memoryFile(dir))).toEqual({ memory: emptyMemory() });
  });

  it('round-trips, creating the directory, leaving no temporary file behind', () => {
    const file = memoryFile(dir);
    writeMemory(file, sample());
    expect(readMemory(file).memory).toEqual(sample());
    expect(fs.readdirSync(path.dirname(file))).toEqual(['sent.json']);
  });

  it('keeps the two releases\' records of one advisory as two entries', () => {
    const file = memoryFile(dir);
    const memory = sample();
    const advisories = memory.images['image:base:runtime']?.advisories ?? {};
    advisories['CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie'] = { status: 'fixed', fixOffered: true, ...at('2025-05-21T10:00:00.000Z') };
    advisories['CVE-2024-5535/openssl@none#bookworm'] = { status: 'no-fix', fixOffered: false, ...at('2025-05-21T10:00:00.000Z') };
    writeMemory(file, memory);
    expect(Object.keys(readMemory(file).memory.images['image:base:runtime']?.advisories ?? {}).sort()).toEqual([
      'CVE-2024-5535/openssl@3.0.16-1~deb12u1',
      'CVE-2024-5535/openssl@3.5.1-1+deb13u1#trixie',
      'CVE-2024-5535/openssl@none#bookworm',
    ]);
  });

  it('replaces the whole file on each write', () => {
    const file = memoryFile(dir);
    writeMemory(file, sample());
    writeMemory(file, emptyMemory());
    expect(readMemory(file).memory).toEqual(emptyMemory());
  });

  it('sets an unreadable file aside and starts empty, saying why', () => {
    const file = memoryFile(dir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version": 1, "images": ');
    const now = new Date('2025-05-20T10:00:00Z');
    const read = readMemory(file, now);
    expect(read.memory).toEqual(emptyMemory());
    expect(read.discarded?.problem).toMatch(/^not JSON/);
    expect(read.discarded?.movedTo).toBe(`${file}.bad-2025-05-20T100000000Z`);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readFileSync(read.discarded?.movedTo ?? '', 'utf8')).toBe('{"version": 1, "images": ');
  });

  it('names the field when the file does not match the schema', () => {
    const file = memoryFile(dir);
    const bad = sample() as unknown as { images: Record<string, { advisories: Record<string, { fixOffered: unknown }> }> };
    const entry = bad.images['image:base:runtime']?.advisories['CVE-2024-5535/openssl@3.0.16-1~deb12u1'];
    if (entry) entry.fixOffered = 'yes';
    writeMemory(file, bad as unknown as MonitorMemory);
    const read = readMemory(file);
    expect(read.discarded?.problem).toContain('images.image:base:runtime.advisories.CVE-2024-5535/openssl@3.0.16-1~deb12u1.fixOffered');
  });
});

describe('forgetStale', () => {
  it('drops entries not seen for 30 days, and images left empty', () => {
    const memory = sample();
    const image = memory.images['image:base:runtime'];
    if (image) image.packages['libc6 2.36-9+deb12u8'] = at('2025-06-15T00:00:00.000Z');
    const kept = forgetStale(memory, new Date('2025-06-30T00:00:00Z'));
    expect(kept.images['image:base:runtime']).toEqual({ advisories: {}, packages: { 'libc6 2.36-9+deb12u8': at('2025-06-15T00:00:00.000Z') } });
    expect(forgetStale(kept, new Date('2025-08-01T00:00:00Z'))).toEqual(emptyMemory());
  });
});

describe('exclusive', () => {
  it('runs one body at a time per file', async () => {
    const order: string[] = [];
    const body = (name: string) => async () => {
      order.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([exclusive('f', body('a')), exclusive('f', body('b')), exclusive('g', body('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(order.indexOf('b start')).toBeGreaterThan(order.indexOf('a end'));
    expect(order.indexOf('c start')).toBeLessThan(order.indexOf('a end'));
  });

  it('lets the next body run after a failure', async () => {
    await expect(exclusive('f', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(exclusive('f', async () => 'next')).resolves.toBe('next');
  });
});
