import { AppError, defineRoute, type Route } from '@uah/core';
import type { OAuthConnected } from '@uah/schemas';
import { CALLBACK_PATH, STATE_TTL_MS, type OAuthService } from './oauth-service.js';

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function connectorOf(params: Record<string, string>): string {
  const value = params['connectorId'] ?? '';
  if (value.length > 64 || !ID.test(value)) throw new AppError('NOT_FOUND', 'No such connector.');
  return value;
}

function page(connected: OAuthConnected): string {
  const name = escapeHtml(connected.connectorId);
  const back = `/integrations/${encodeURIComponent(connected.connectorId)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name} connected</title></head><body><h1>${name} is connected</h1><p><a href="${escapeHtml(back)}">Back to the integration in the dashboard</a>, or close this window.</p></body></html>`;
}

/**
 * The OAuth2 authorization-code flow for connectors that declare it: `authorize` (with the caller's API
 * key) starts it, the provider sends the browser to `callback` (no API key: the signed, single-use
 * state is what is trusted), which stores the tokens and answers, or sends the browser on to `returnUrl`.
 */
export function createOAuthRoutes(deps: { oauth: OAuthService; returnUrl?: string | undefined }): Route[] {
  const minutes = STATE_TTL_MS / 60_000;
  return [
    defineRoute({
      method: 'GET', path: '/v1/organizations/:orgId/integrations/:connectorId/oauth/authorize', operationId: 'authorizeIntegration', tag: 'Integrations', summary: 'Start the OAuth2 authorization of an integration', scope: 'admin',
      description: `For a connector whose manifest declares \`auth.type: oauth2\`, once the integration is enabled with the organization's OAuth client (\`clientId\`, \`clientSecret\` in its credentials). Answers 302 to the provider's authorization URL, or 200 with the URL when the request prefers \`application/json\` (an API client sending a browser there itself). The URL carries \`client_id\`, \`redirect_uri\` (\`PUBLIC_URL\` + \`${CALLBACK_PATH}\`, which the OAuth client must allow), the manifest's scopes, a signed \`state\` that works once within ${minutes} minutes, and a PKCE S256 \`code_challenge\` when the manifest asks for PKCE.`,
      query: 'EmptyQuery', errors: [409, 422],
      response: { status: 200, schema: 'OAuthAuthorization', redirect: { status: 302, description: "The browser is sent to the provider's authorization URL." } },
      handler: async ({ organizationId, params, ctx }) => {
        const started = await deps.oauth.authorize(organizationId, connectorOf(params));
        ctx.set('Cache-Control', 'no-store');
        if (ctx.accepts('html', 'json') === 'json') return started;
        ctx.redirect(started.authorizeUrl);
        return undefined;
      },
    }),
    defineRoute({
      method: 'GET', path: CALLBACK_PATH, operationId: 'completeOAuthAuthorization', tag: 'Integrations', summary: 'The OAuth2 callback: the provider sends the browser back here', auth: 'none',
      description: "Checks the `state` (400 `OAUTH_STATE_INVALID` when it was not signed by this hub or was altered, `OAUTH_STATE_EXPIRED`, `OAUTH_STATE_USED` the second time; nothing is stored then), exchanges the `code` at the provider's token endpoint (with the PKCE verifier), and stores the tokens sealed in the integration; they are never returned. A refusal by the provider (`error=access_denied`, or the token endpoint's 4xx) is a 502 problem with `source: provider`. Then sends the browser on to `OAUTH_RETURN_URL` (303, with `connectorId`, `organizationId` and `status=connected`) when the hub has one, else answers a small page (text/html) or the integration's authorization (JSON).",
      query: 'OAuthCallbackQuery', errors: [409, 502],
      response: { status: 200, schema: 'OAuthConnected', alsoContentTypes: ['text/html'], redirect: { status: 303, description: 'Sent on to OAUTH_RETURN_URL.' } },
      handler: async ({ query, ctx }) => {
        const connected = await deps.oauth.callback(query);
        ctx.set('Cache-Control', 'no-store');
        if (deps.returnUrl) {
          const next = new URL(deps.returnUrl);
          next.searchParams.set('connectorId', connected.connectorId);
          next.searchParams.set('organizationId', connected.organizationId);
          next.searchParams.set('status', 'connected');
          ctx.status = 303;
          ctx.redirect(next.href);
          return undefined;
        }
        if (ctx.accepts('json', 'html') !== 'html') return connected;
        ctx.type = 'text/html';
        ctx.body = page(connected);
        return undefined;
      },
    }),
  ];
}
