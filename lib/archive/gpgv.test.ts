import { judgeGpgvStatus } from './gpgv';

// Status lines as gpgv 2.2 prints them for bookworm's InRelease (two of its three signatures shown).
const AUTOMATIC_KEY_GOOD = [
  '[GNUPG:] NEWSIG',
  '[GNUPG:] KEY_CONSIDERED B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8 0',
  '[GNUPG:] SIG_ID AgpdPZ7z8h3tPdbJ5G8ASdhxELQ 2026-07-11 1783765031',
  '[GNUPG:] GOODSIG 6ED0E7B82643E131 Debian Archive Automatic Signing Key (12/bookworm) <ftpmaster@debian.org>',
  '[GNUPG:] VALIDSIG 4CB50190207B4758A3F73A796ED0E7B82643E131 2026-07-11 1783765031 0 4 0 1 8 01 B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8',
];
const STABLE_KEY_MISSING = [
  '[GNUPG:] NEWSIG',
  '[GNUPG:] ERRSIG F8D2585B8783D481 22 8 01 1783765141 9 4D64FEC119C2029067D6E791F8D2585B8783D481',
  '[GNUPG:] NO_PUBKEY F8D2585B8783D481',
];

describe('judgeGpgvStatus', () => {
  it('accepts one good signature even when other signers are not in the keyring (gpgv exits 2 then)', () => {
    expect(judgeGpgvStatus([...AUTOMATIC_KEY_GOOD, ...STABLE_KEY_MISSING].join('\n'))).toEqual({
      ok: true,
      signers: ['B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8'],
    });
  });

  it('refuses any BADSIG, even next to a good signature', () => {
    const status = [...AUTOMATIC_KEY_GOOD, '[GNUPG:] NEWSIG', '[GNUPG:] BADSIG 78DBA3BC47EF2265 Debian Security'].join('\n');
    expect(judgeGpgvStatus(status)).toEqual({ ok: false, reason: expect.stringContaining('BAD') });
  });

  it('refuses when no signer is in the keyring', () => {
    expect(judgeGpgvStatus(STABLE_KEY_MISSING.join('\n'))).toEqual({ ok: false, reason: expect.stringContaining('keyring') });
  });

  it('refuses a GOODSIG that has no VALIDSIG (gpg prints GOODSIG before the final checks)', () => {
    expect(judgeGpgvStatus(AUTOMATIC_KEY_GOOD.slice(0, 4).join('\n')).ok).toBe(false);
  });

  it('refuses signatures over SHA1', () => {
    const sha1 = AUTOMATIC_KEY_GOOD.map((line) => line.replace(' 0 4 0 1 8 01 ', ' 0 4 0 1 2 01 '));
    expect(judgeGpgvStatus(sha1.join('\n'))).toEqual({ ok: false, reason: expect.stringContaining('SHA1') });
  });

  it('refuses expired keys and empty output', () => {
    expect(judgeGpgvStatus('[GNUPG:] NEWSIG\n[GNUPG:] EXPKEYSIG 6ED0E7B82643E131 Debian').ok).toBe(false);
    expect(judgeGpgvStatus('').ok).toBe(false);
  });

  it('ignores lines that are not status lines', () => {
    const noisy = ['gpgv: [GNUPG:] GOODSIG 6ED0E7B82643E131 spoofed', ...STABLE_KEY_MISSING].join('\n');
    expect(judgeGpgvStatus(noisy).ok).toBe(false);
  });
});
