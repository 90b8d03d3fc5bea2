"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/components/layout/EmptyState";
import { describeError } from "@/components/format";
import { useTRPC } from "@/components/trpc/client";
import { ROLES } from "@/server/auth/roles";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { Time } from "@/components/layout/TimeZone";

type Role = (typeof ROLES)[number];

export function AccountsManager({ selfId }: { selfId: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.accounts.list.queryKey() });
  const onSettled = { onSuccess: invalidate };

  const create = useMutation(trpc.accounts.create.mutationOptions(onSettled));
  const setRole = useMutation(trpc.accounts.setRole.mutationOptions(onSettled));
  const setDisabled = useMutation(trpc.accounts.setDisabled.mutationOptions(onSettled));
  const resetPassword = useMutation(trpc.accounts.resetPassword.mutationOptions());
  const failure = [create, setRole, setDisabled, resetPassword].find((m) => m.error)?.error;

  async function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setNotice(null);
    const created = await create
      .mutateAsync({
        email: String(form.get("email")),
        name: String(form.get("name")),
        role: String(form.get("role")) as Role,
        password: String(form.get("password")),
      })
      .catch(() => null);
    if (created) {
      formElement.reset();
      setNotice(`Created ${created.email} as ${created.role}.`);
    }
  }

  async function onResetPassword(operatorId: number, email: string) {
    const password = window.prompt(`New password for ${email} (at least 12 characters)`);
    if (!password) return;
    const done = await resetPassword.mutateAsync({ operatorId, password }).catch(() => null);
    if (done) setNotice(`Password of ${email} changed.`);
  }

  return (
    <>
      <section className="panel">
        <h2 style={{ marginTop: 0 }}>New account</h2>
        <form className="form-row" onSubmit={onCreate} aria-label="New account">
          <label>
            E-mail
            <input name="email" type="email" required />
          </label>
          <label>
            Name
            <input name="name" required />
          </label>
          <label>
            Role
            <select name="role" defaultValue="viewer">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <label>
            Initial password
            <input name="password" type="password" minLength={12} required autoComplete="new-password" />
          </label>
          <button className="primary" type="submit" disabled={create.isPending}>
            Create account
          </button>
        </form>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {failure && (
          <p className="error" role="alert">
            {describeError(failure)}
          </p>
        )}
      </section>

      <h2>Accounts</h2>
      {accounts.isPending && <p className="muted">Loading…</p>}
      {accounts.error && (
        <p className="error" role="alert">
          {describeError(accounts.error)}
        </p>
      )}
      {accounts.data?.length === 0 && <EmptyState title="No accounts" />}
      {accounts.data && accounts.data.length > 0 && (
        <div className="panel">
          <ScrollRegion label="Accounts">
            <table aria-label="Accounts">
              <thead>
                <tr>
                  <th>E-mail</th>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Last sign-in</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <tr key={a.id} data-testid={`account-${a.email}`}>
                    <td>
                      {a.email}
                      {a.id === selfId && <span className="muted"> (you)</span>}
                    </td>
                    <td>{a.name}</td>
                    <td>
                      <select
                        aria-label={`Role of ${a.email}`}
                        value={a.role}
                        disabled={setRole.isPending}
                        onChange={(e) => setRole.mutate({ operatorId: a.id, role: e.target.value as Role })}
                      >
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </td>
                    <td>{a.disabled ? "disabled" : "active"}</td>
                    <td>
                      <Time value={a.lastSignInAt} />
                    </td>
                    <td style={{ whiteSpace: "nowrap" }}>
                      <button type="button" onClick={() => setDisabled.mutate({ operatorId: a.id, disabled: !a.disabled })}>
                        {a.disabled ? "Enable" : "Disable"}
                      </button>{" "}
                      <button type="button" onClick={() => onResetPassword(a.id, a.email)}>
                        Reset password
                      </button>
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
