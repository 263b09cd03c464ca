import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt';

/**
 * Short-lived HS256 tokens for downloads and uploads, in plugNmeet's form: signed with the API
 * secret of the key that asked for them, `iss` = that API key, `sub` = the file path relative to
 * the storage root. Revoking the key revokes its tokens.
 */
export interface FileTokenClaims {
  iss: string;
  sub: string;
  nbf: number;
  exp: number;
  /** What the token is for: `download` (default) or `upload`. */
  use?: string;
  /** Upload tokens carry the recording to register. */
  data?: Record<string, unknown>;
}

const decode = createDecoder();

export function signFileToken(apiKey: string, apiSecret: string, subject: string, ttlMs: number, extra: { use?: string; data?: Record<string, unknown> } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const sign = createSigner({ key: apiSecret, algorithm: 'HS256' });
  return sign({ iss: apiKey, sub: subject, nbf: now, exp: now + Math.ceil(ttlMs / 1000), ...extra });
}

export type TokenCheck = { ok: true; claims: FileTokenClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** The issuer named in a token, read without verifying (to find the secret to verify with). */
export function tokenIssuer(token: string): string | undefined {
  try {
    const claims = decode(token) as Partial<FileTokenClaims>;
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

export function verifyFileToken(token: string, apiSecret: string, use = 'download'): TokenCheck {
  try {
    const claims = createVerifier({ key: apiSecret, algorithms: ['HS256'] })(token) as FileTokenClaims;
    if ((claims.use ?? 'download') !== use || typeof claims.sub !== 'string') return { ok: false, reason: 'invalid' };
    return { ok: true, claims };
  } catch (error) {
    const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
    return { ok: false, reason: expired ? 'expired' : 'invalid' };
  }
}
