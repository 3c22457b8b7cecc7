// A real OAuth 2.0 server for the end-to-end tests: oauth2-mock-server, made strict where the
// tests need it to be.
//
//   node server.mjs [--expires-in SECONDS] [--client-id ID] [--client-secret SECRET]
//                   [--revoke-on-replay]
//
// Listens on 127.0.0.1 at a free port and prints one JSON line to stdout:
// {"issuer": "http://127.0.0.1:PORT", "jwks": {...}}. Then, on top of the mock's behaviour:
// - every access token lives `--expires-in` seconds (`exp` and `expires_in`);
// - client credentials: the client id and secret must match (401 `invalid_client` otherwise);
// - authorization code: the client id must match and a PKCE `code_verifier` is required;
// - refresh tokens rotate: each refresh grant issues a new one and the one used is dead, so a
//   reused (not persisted) refresh token gets 400 `invalid_grant`;
// - with `--revoke-on-replay`, as providers with rotation do: a refresh token presented a
//   second time revokes every refresh token of its grant (the user must authorise again).
// It runs until stdin closes (the test process ends) or it is killed.
import { OAuth2Server, Events } from 'oauth2-mock-server';

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const expiresIn = Number(arg('--expires-in', '3600'));
const clientId = arg('--client-id', 'test-client');
const clientSecret = arg('--client-secret', 'test-secret');
const revokeOnReplay = args.includes('--revoke-on-replay');

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

const live = new Set();
// Refresh token → its grant (one per authorisation), and each grant's live tokens.
const grantOf = new Map();
let grants = 0;

function client(req) {
  const header = req.headers.authorization ?? '';
  if (header.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    const dec = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: dec(decoded.slice(0, at)), secret: dec(decoded.slice(at + 1)) };
  }
  return { id: req.body.client_id, secret: req.body.client_secret };
}

function refuse(response, status, error, description) {
  response.statusCode = status;
  response.body = { error, error_description: description };
}

server.service.on(Events.BeforeTokenSigning, (token) => {
  token.payload.exp = Math.floor(Date.now() / 1000) + expiresIn;
});

server.service.on(Events.BeforeResponse, (response, req) => {
  if (response.statusCode !== 200) return;
  const grant = req.body.grant_type;
  const c = client(req);
  if (c.id !== clientId) {
    return refuse(response, 401, 'invalid_client', 'unknown client');
  }
  if (grant === 'client_credentials' && c.secret !== clientSecret) {
    return refuse(response, 401, 'invalid_client', 'client authentication failed');
  }
  if (grant !== 'client_credentials' && c.secret !== undefined && c.secret !== clientSecret) {
    return refuse(response, 401, 'invalid_client', 'client authentication failed');
  }
  if (grant === 'authorization_code' && !req.body.code_verifier) {
    return refuse(response, 400, 'invalid_request', 'PKCE code_verifier required');
  }
  let grantId = ++grants;
  if (grant === 'refresh_token') {
    const presented = req.body.refresh_token;
    if (!live.delete(presented)) {
      if (revokeOnReplay && grantOf.has(presented)) {
        const revoked = grantOf.get(presented);
        for (const [token, id] of grantOf) {
          if (id === revoked) live.delete(token);
        }
        process.stderr.write('oauth test server: refresh token replayed, grant revoked\n');
        return refuse(response, 400, 'invalid_grant', 'refresh token replayed; grant revoked');
      }
      return refuse(response, 400, 'invalid_grant', 'refresh token unknown or already used');
    }
    grantId = grantOf.get(presented);
  }
  response.body.expires_in = expiresIn;
  if (response.body.refresh_token) {
    live.add(response.body.refresh_token);
    grantOf.set(response.body.refresh_token, grantId);
  }
  process.stderr.write(`oauth test server: ${grant} granted\n`);
});

await server.start(0, '127.0.0.1');
// The mock names itself `localhost`; the tests reach it (and check `iss`) by address.
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
const jwks = { keys: server.issuer.keys.toJSON() };
process.stdout.write(JSON.stringify({ issuer: server.issuer.url, jwks }) + '\n');

process.stdin.resume();
process.stdin.on('end', async () => {
  await server.stop();
  process.exit(0);
});
