// A second, independent OAuth 2.0 provider for the end-to-end tests: `oidc-provider`, a
// certified OpenID Connect provider, configured as a production deployment would be rather
// than as a mock:
//
//   node server.mjs [--expires-in SECONDS] [--client-id ID] [--client-secret SECRET]
//                   [--resource URI]
//
// Listens on 127.0.0.1 at a free port and prints one JSON line to stdout:
// {"issuer": "http://127.0.0.1:PORT", "jwks": {...}}. What it holds a client to:
// - one confidential, native client (`client_secret_basic`; a loopback redirect
//   `http://127.0.0.1/callback` on any port, RFC 8252), PKCE required on the code flow;
// - a refresh token only when `offline_access` is asked for and consent is prompted
//   (`prompt=consent`), the provider's own rule;
// - refresh tokens rotate on every use, and a used one presented again revokes the whole
//   grant (the user must authorise again) — the provider's reuse detection;
// - access tokens live `--expires-in` seconds;
// - resource indicators (RFC 8707): an access token for the API (a JWT whose `aud` is
//   `--resource`) only when the request names that resource; any other resource is refused
//   with `invalid_target`, and a token asked for without one is an opaque token the API
//   refuses.
// Login and consent are the provider's development interactions (HTML forms), which the test
// fills in as a person would. It runs until stdin closes (the test process ends).
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const expiresIn = Number(arg('--expires-in', '3600'));
const clientId = arg('--client-id', 'test-client');
const clientSecret = arg('--client-secret', 'test-secret');
const resource = arg('--resource', 'https://api.example.test/');

const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
const named = { kid: 'test-key', alg: 'RS256', use: 'sig' };
const signing = { ...(await exportJWK(privateKey)), ...named };
const jwks = { keys: [{ ...(await exportJWK(publicKey)), ...named }] };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signing] },
  routes: { authorization: '/authorize', token: '/token', jwks: '/jwks' },
  scopes: ['openid', 'offline_access', 'billing:read'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) {
          throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        }
        return {
          scope: 'billing:read',
          audience: resource,
          accessTokenTTL: expiresIn,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  ttl: {
    AccessToken: expiresIn,
    ClientCredentials: expiresIn,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 86400,
    Grant: 86400,
    RefreshToken: 86400,
  },
  // Every refresh rotates the refresh token (the default keeps it until 70 % of its life).
  rotateRefreshToken: () => true,
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});

for (const event of ['grant.error', 'server_error']) {
  provider.on(event, (_ctx, err) => {
    process.stderr.write(`oidc test provider: ${event}: ${err.message}\n`);
  });
}
provider.on('grant.success', (ctx) => {
  process.stderr.write(`oidc test provider: ${ctx.oidc.params.grant_type} granted\n`);
});
provider.on('grant.revoked', () => {
  process.stderr.write('oidc test provider: grant revoked\n');
});

server.on('request', provider.callback());

process.stdout.write(JSON.stringify({ issuer, jwks }) + '\n');

process.stdin.resume();
process.stdin.on('end', () => {
  server.close();
  process.exit(0);
});
