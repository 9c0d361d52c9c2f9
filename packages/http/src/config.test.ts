// The environment the service is configured from: tokens with scopes, secrets, the upstream and its tokens.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findToken } from './auth.js';
import { configFromEnv, HttpConfigError, parseApiTokens, parseSecrets } from './config.js';

describe('CALLPERMIT_API_TOKENS', () => {
  it('tokens separated by commas, each optionally limited to business ids separated by |', () => {
    const tokens = parseApiTokens(
      ' alpha-token-0123456789 , beta-token-0123456789:109876543210987|102938475610293 ,',
    );
    expect(tokens).toEqual([
      { token: 'alpha-token-0123456789' },
      { token: 'beta-token-0123456789', businesses: new Set(['109876543210987', '102938475610293']) },
    ]);
    expect(findToken(tokens, 'beta-token-0123456789')?.businesses?.has('109876543210987')).toBe(true);
    expect(findToken(tokens, 'beta-token-012345678')).toBeUndefined();
  });

  it('refuses short tokens, odd characters and business ids that are not digits, naming the entry', () => {
    expect(() => parseApiTokens('ok-token-0123456789,short')).toThrow(/entry 2: a token must be at least 16/);
    expect(() => parseApiTokens('with space 0123456789')).toThrow(/entry 1: a token is letters, digits/);
    expect(() => parseApiTokens('good-token-0123456789:12|abc')).toThrow(/"abc" is not a business id/);
  });
});

describe('configFromEnv', () => {
  it('reads secrets (several while rotating), the verify token, the upstream, its timeout and per-business tokens', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'callpermit-config-')), 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({ '109876543210987': 'token-of-the-number', '102938475610293': 'token-of-the-waba' }),
    );
    const config = await configFromEnv({
      CALLPERMIT_APP_SECRET: 'new-secret, old-secret',
      CALLPERMIT_VERIFY_TOKEN: 'verify',
      CALLPERMIT_API_TOKENS: 'alpha-token-0123456789',
      CALLPERMIT_GRAPH_URL: 'http://127.0.0.1:9999/v23.0',
      CALLPERMIT_GRAPH_TOKEN: 'general-meta-token',
      CALLPERMIT_GRAPH_TOKENS_FILE: file,
      CALLPERMIT_GRAPH_TIMEOUT_MS: '2500',
      CALLPERMIT_HEADERS_TIMEOUT_MS: '4000',
      CALLPERMIT_REQUEST_TIMEOUT_MS: '30000',
      CALLPERMIT_KEEP_ALIVE_TIMEOUT_MS: '7000',
    });
    expect(config).toEqual({
      appSecrets: ['new-secret', 'old-secret'],
      verifyToken: 'verify',
      apiTokens: [{ token: 'alpha-token-0123456789' }],
      graph: {
        url: 'http://127.0.0.1:9999/v23.0',
        token: 'general-meta-token',
        timeoutMs: 2500,
        tokens: new Map([
          ['109876543210987', 'token-of-the-number'],
          ['102938475610293', 'token-of-the-waba'],
        ]),
      },
      server: { headersMs: 4000, requestMs: 30_000, keepAliveMs: 7000 },
      logLevel: 'info',
    });
    expect(parseSecrets(undefined)).toEqual([]);
  });

  it('defaults to Meta’s Graph API; refuses a bad URL, timeout or tokens file with a clear message', async () => {
    expect((await configFromEnv({})).graph).toEqual({ url: 'https://graph.facebook.com', timeoutMs: 10_000 });
    await expect(configFromEnv({ CALLPERMIT_GRAPH_URL: 'ftp://x' })).rejects.toThrow(HttpConfigError);
    await expect(configFromEnv({ CALLPERMIT_GRAPH_TIMEOUT_MS: '-1' })).rejects.toThrow(/positive number/);
    expect((await configFromEnv({})).server).toEqual({
      headersMs: 10_000,
      requestMs: 120_000,
      keepAliveMs: 5000,
    });
    await expect(configFromEnv({ CALLPERMIT_REQUEST_TIMEOUT_MS: '1.5' })).rejects.toThrow(
      'CALLPERMIT_REQUEST_TIMEOUT_MS: expected a positive number of milliseconds',
    );
    await expect(
      configFromEnv({ CALLPERMIT_HEADERS_TIMEOUT_MS: '9000', CALLPERMIT_REQUEST_TIMEOUT_MS: '8000' }),
    ).rejects.toThrow(
      'CALLPERMIT_HEADERS_TIMEOUT_MS (9000) must not exceed CALLPERMIT_REQUEST_TIMEOUT_MS (8000)',
    );
    await expect(configFromEnv({ CALLPERMIT_GRAPH_TOKENS_FILE: '/no/such/file' })).rejects.toThrow(/ENOENT/);
    const bad = join(mkdtempSync(join(tmpdir(), 'callpermit-config-')), 'tokens.json');
    writeFileSync(bad, JSON.stringify({ 'not-digits': 'x' }));
    await expect(configFromEnv({ CALLPERMIT_GRAPH_TOKENS_FILE: bad })).rejects.toThrow(
      /"not-digits" is not a business id/,
    );
  });
});
