"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/components/layout/EmptyState";
import { describeError } from "@/components/format";
import { useTRPC } from "@/components/trpc/client";
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, SCOPES, type Scope } from "@/server/serving/scopes";
import { CopyButton } from "@/components/layout/CopyButton";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

export function ApiKeysManager() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(trpc.apiKeys.create.mutationOptions({ onSuccess: invalidate }));
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: invalidate }));
  const [created, setCreated] = useState<{ name: string; key: string; scopes: Scope[] } | null>(null);
  // A real listener for the example request, asked for only once there is a key to show.
  const listener = useQuery({ ...trpc.listeners.search.queryOptions({ query: "", limit: 1 }), enabled: created !== null });
  const failure = [create, revoke].find((m) => m.error)?.error;

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setCreated(null);
    const rate = String(form.get("rate") ?? "");
    const burst = String(form.get("burst") ?? "");
    const name = String(form.get("name"));
    const scopes = SCOPES.filter((s) => form.get(`scope:${s}`) === "on");
    const done = await create
      .mutateAsync({
        name,
        scopes,
        ratePerSecond: rate ? Number(rate) : undefined,
        burst: burst ? Number(burst) : undefined,
      })
      .catch(() => null);
    if (done) {
      formElement.reset();
      setCreated({ name, key: done.key, scopes });
    }
  }

  function onRevoke(id: number, name: string) {
    if (window.confirm(`Revoke the API key "${name}"? Clients using it get 401 from their next request.`)) revoke.mutate({ id });
  }

  return (
    <>
      <section className="panel">
        <h2 style={{ marginTop: 0 }}>New API key</h2>
        <form className="form-row" onSubmit={onCreate} aria-label="New API key">
          <label>
            Name
            <input name="name" required maxLength={100} placeholder="e.g. app backend" />
          </label>
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((scope: Scope) => (
              <label key={scope} style={{ display: "inline-flex", gap: 4, marginRight: 12 }}>
                <input type="checkbox" name={`scope:${scope}`} defaultChecked={scope === "recommendations:read"} />
                {scope}
              </label>
            ))}
          </fieldset>
          <label>
            Requests/s
            <input name="rate" type="number" min={1} max={100000} placeholder={String(DEFAULT_RATE_PER_SECOND)} />
          </label>
          <label>
            Burst
            <input name="burst" type="number" min={1} max={1000000} placeholder={String(DEFAULT_BURST)} />
          </label>
          <button className="primary" type="submit" disabled={create.isPending}>
            Create key
          </button>
        </form>
        {created && (
          <div className="notice" role="status">
            <p>
              The key <strong>{created.name}</strong>, shown this once: copy it now, Encore keeps only its hash.
            </p>
            <code data-testid="new-api-key" style={{ userSelect: "all", wordBreak: "break-all" }}>
              {created.key}
            </code>{" "}
            <CopyButton text={created.key} label="Copy key" />
            {created.scopes.includes("recommendations:read") && <TryIt apiKey={created.key} userId={listener.data?.[0]?.id ?? null} />}
          </div>
        )}
        {failure && (
          <p className="error" role="alert">
            {describeError(failure)}
          </p>
        )}
        <p className="muted">
          Clients send <code>Authorization: Bearer &lt;key&gt;</code>; see the <a href="/api/v1/docs">API reference</a>.
        </p>
      </section>

      <h2>Keys</h2>
      {keys.isPending && <p className="muted">Loading…</p>}
      {keys.error && (
        <p className="error" role="alert">
          {describeError(keys.error)}
        </p>
      )}
      {keys.data?.length === 0 && <EmptyState title="No API keys yet">Create one above for the streaming app&apos;s backend.</EmptyState>}
      {keys.data && keys.data.length > 0 && (
        <div className="panel">
          <ScrollRegion label="API keys">
            <table aria-label="API keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Prefix</th>
                  <th>Scopes</th>
                  <th>Limit</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id} data-testid={`api-key-${k.name}`}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{k.scopes.join(", ")}</td>
                    <td>
                      {k.ratePerSecond}/s, burst {k.burst}
                    </td>
                    <td>
                      <Time value={k.createdAt} /> <span className="muted">by {k.createdBy}</span>
                    </td>
                    <td>
                      <Time value={k.lastUsedAt} />
                    </td>
                    <td>
                      {k.revokedAt ? (
                        <>
                          revoked <Time value={k.revokedAt} />
                        </>
                      ) : (
                        "active"
                      )}
                    </td>
                    <td>
                      {!k.revokedAt && (
                        <button type="button" onClick={() => onRevoke(k.id, k.name)} disabled={revoke.isPending}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </div>
      )}
    </>
  );
}

/** A request that works as it stands: this key, this console's address, a listener who exists. */
function TryIt({ apiKey, userId }: { apiKey: string; userId: number | null }) {
  const command = `curl -H "Authorization: Bearer ${apiKey}" "${window.location.origin}/api/v1/users/${userId ?? "<user id>"}/recommendations?k=10"`;
  return (
    <>
      <p>Try it{userId === null ? " once a listener has been ingested (there is none yet)" : `, as listener ${userId}`}:</p>
      <pre className="payload" data-testid="api-key-curl">
        {command}
      </pre>
      <CopyButton text={command} label="Copy command" />
    </>
  );
}
