import { useEffect, useMemo, useState } from 'react';
import Form from '@rjsf/core';
import type { RJSFSchema, UiSchema, ErrorSchema } from '@rjsf/utils';
import { UahApiError } from '@uah/client/portable';
import type { ConnectorManifest } from '@uah/schemas';
import type { HubApi } from '../api.js';
import { errorSchemaOf } from '../field-errors.js';
import { formValidator } from '../form-validator.js';
import { navigate } from '../router.js';
import type { SignedIn } from '../session.js';
import { ErrorNotice, Loading, PageTitle, useAsync } from '../ui.js';

interface Values {
  credentials?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/**
 * One form for the manifest's two schemas, so the API's pointers (`/credentials/…`, `/config/…`) are the
 * form's paths. For an OAuth2 connector the credentials are the organization's OAuth client (its id and secret).
 */
function formSchema(manifest: ConnectorManifest, oauth: boolean): RJSFSchema {
  return {
    type: 'object',
    properties: {
      credentials: { ...(manifest.credentialsSchema as RJSFSchema), title: oauth ? 'OAuth client' : 'Credentials' },
      config: { ...(manifest.configSchema as RJSFSchema), title: 'Settings' },
    },
    required: ['credentials'],
  };
}

/** Secrets are typed in password fields, never autocompleted. */
function uiSchemaOf(manifest: ConnectorManifest): UiSchema {
  const secret: UiSchema = {};
  for (const [name, property] of Object.entries(manifest.credentialsSchema.properties ?? {})) {
    if (typeof property === 'object' && (property as { type?: unknown }).type === 'string') secret[name] = { 'ui:widget': 'password', 'ui:autocomplete': 'off' };
  }
  return { credentials: secret, 'ui:submitButtonOptions': { norender: true } };
}

function drawnBy(schema: RJSFSchema): (path: string[]) => boolean {
  return (path) => {
    let node: RJSFSchema | undefined = schema;
    for (const part of path) node = (node?.properties?.[part] as RJSFSchema | undefined) ?? undefined;
    return node !== undefined;
  };
}

export function EnablePage({ s, api, connectorId }: { s: SignedIn; api: HubApi; connectorId: string }) {
  const entry = useAsync(() => api.connector(connectorId), [connectorId]);
  const manifest = entry.data?.manifest ?? undefined;
  const oauth = manifest?.auth.type === 'oauth2';
  const schema = useMemo(() => (manifest ? formSchema(manifest, oauth) : undefined), [manifest, oauth]);
  const [values, setValues] = useState<Values>({});
  const [fieldErrors, setFieldErrors] = useState<ErrorSchema | undefined>();
  const [failure, setFailure] = useState<unknown>();
  const [checking, setChecking] = useState(false);

  // Once the answer is drawn (and the fields enabled again), the first field the API refused takes the
  // focus, so a keyboard user lands on what to fix; its message is tied to it by aria-describedby.
  useEffect(() => {
    if (!fieldErrors || checking) return;
    document.querySelector<HTMLElement>('.rjsf-field-string.has-error input, .has-error > select, .has-error > textarea, .has-error input')?.focus();
  }, [fieldErrors, checking]);

  const submit = async (data: Values): Promise<void> => {
    setChecking(true);
    setFailure(undefined);
    setFieldErrors(undefined);
    try {
      await api.enable(connectorId, { credentials: data.credentials ?? {}, config: data.config ?? {} });
      // An OAuth2 connector is then authorized at the provider, which sends the browser back through the hub.
      if (oauth) window.location.assign(api.authorizeUrl(connectorId));
      else navigate(`/integrations/${connectorId}`);
    } catch (error) {
      setFailure(error);
      if (error instanceof UahApiError && error.errors.length > 0 && schema) {
        setFieldErrors(errorSchemaOf(error.errors, drawnBy(schema)));
      }
    } finally {
      setChecking(false);
    }
  };

  return (
    <main id="main">
      <PageTitle>Enable {manifest?.name ?? connectorId}</PageTitle>
      {entry.loading && !entry.data && <Loading />}
      <ErrorNotice error={entry.error} onRetry={entry.reload} />
      {entry.data && !manifest && <ErrorNotice error={new Error(`No version of ${connectorId} can be used on this hub.`)} />}
      {manifest && schema && !s.can('admin') && <p className="notice warning">Enabling a connector needs a key with the admin scope.</p>}
      {manifest && schema && s.can('admin') && (
        <>
          <p className="lead">{manifest.description}</p>
          {manifest.auth.instructions && <p className="notice info">{manifest.auth.instructions}</p>}
          <p className="muted small">
            It will be allowed to {entry.data?.permissions.join(', ') || 'read nothing in your books'} and to call {entry.data?.allowedHosts.join(', ') || 'no host'}. Saving checks the connection with the provider first.
          </p>
          {oauth && (
            <p className="notice info">
              {manifest.name} signs in with OAuth2: saving sends you to the provider to grant access, then back here. Your OAuth client there must allow this hub's <code>/v1/oauth/callback</code> (at its public address) as a redirect URI.
            </p>
          )}
          <Form
            schema={schema}
            uiSchema={uiSchemaOf(manifest)}
            validator={formValidator}
            formData={values}
            onChange={(e) => setValues(e.formData as Values)}
            onSubmit={(e) => void submit(e.formData as Values)}
            {...(fieldErrors ? { extraErrors: fieldErrors } : {})}
            // The API is the one judge: its answer, field by field, is what the form shows.
            noValidate
            noHtml5Validate
            showErrorList={false}
            idPrefix="enable"
            disabled={checking}
          >
            <div className="actions">
              <button type="submit" className="primary" disabled={checking}>
                {checking ? 'Checking the connection…' : oauth ? `Save and connect ${manifest.name}` : `Enable ${manifest.name}`}
              </button>
              {checking && <progress aria-label="Checking the connection" />}
            </div>
          </Form>
          <ErrorNotice error={failure} />
        </>
      )}
    </main>
  );
}
