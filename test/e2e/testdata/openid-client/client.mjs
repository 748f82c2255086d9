// Gets an access token from Keywarden with openid-client's PrivateKeyJwt
// (client_credentials), the way a Node.js application would: discovery
// from the issuer, then the grant. Run by test/e2e (oauth_keyjwt_test.go).
//
//   KW_ISSUER=http://127.0.0.1:… KW_CLIENT_ID=kwc_… KW_PRIVATE_JWK='{"kty":"EC",…,"d":…,"kid":…}' node client.mjs
//
// It prints the token endpoint's answer as JSON on stdout.
import * as client from 'openid-client'

const jwk = JSON.parse(process.env.KW_PRIVATE_JWK)
const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
const config = await client.discovery(new URL(process.env.KW_ISSUER), process.env.KW_CLIENT_ID, undefined,
  client.PrivateKeyJwt({ key, kid: jwk.kid }), { execute: [client.allowInsecureRequests] })
const tokens = await client.clientCredentialsGrant(config, { scope: process.env.KW_SCOPE || '' })
process.stdout.write(JSON.stringify(tokens))
