// A real OpenID Connect provider for the router console's browser tests (never production):
// panva's certified oidc-provider on a loopback port, one confidential client (the console)
// and three test operators whose `gemeentecodes` claim lists the gemeenten an SSC mandated
// them for. Sign-in uses the provider's own development login form (any password).
//   node dev/oidc/server.mjs PORT CONSOLE_REDIRECT_URI CLIENT_SECRET
import Provider from 'oidc-provider';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
if (!port || !redirectUri || !clientSecret) {
  console.error('usage: node server.mjs PORT REDIRECT_URI CLIENT_SECRET');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// The operators: who they are and which gemeenten (gemeentecodes) they may operate for.
const operators = {
  'beheerder-0363': { name: 'Ans Beheerder (SSC, Amsterdam)', gemeentecodes: ['0363'] },
  'beheerder-0344': { name: 'Piet Beheerder (SSC, Utrecht)', gemeentecodes: ['0344'] },
  'beheerder-geen': { name: 'Zonder Mandaat', gemeentecodes: [] },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'router-console',
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      // RP-initiated logout: back to the console's sign-in page.
      post_logout_redirect_uris: [redirectUri.replace(/\/callback$/, '/aanmelden')],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], profile: ['name'], keten: ['gemeentecodes'] },
  scopes: ['openid', 'profile', 'keten'],
  // The console reads the operator's rights from the ID token, not from the userinfo endpoint.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const operator = operators[sub];
    if (!operator) return undefined;
    return { accountId: sub, async claims() { return { sub, ...operator }; } };
  },
  // A test operator consents once for all: no consent page between sign-in and the console.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile keten');
    grant.addOIDCClaims(['sub', 'name', 'gemeentecodes']);
    await grant.save();
    return grant;
  },
});
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
