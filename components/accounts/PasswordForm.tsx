"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeError } from "@/components/format";
import { useTRPC } from "@/components/trpc/client";

const MIN_LENGTH = 12;

/** The signed-in operator's own password: the current one, then the new one twice. */
export function PasswordForm() {
  const trpc = useTRPC();
  const change = useMutation(trpc.accounts.changeOwnPassword.mutationOptions());
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const field = (name: string) => String(form.get(name) ?? "");
    const [current, next, repeated] = [field("current"), field("next"), field("repeated")];
    setDone(null);
    setProblem(
      next.length < MIN_LENGTH ? `The new password needs at least ${MIN_LENGTH} characters.` : next !== repeated ? "The two new passwords differ." : null,
    );
    if (next.length < MIN_LENGTH || next !== repeated) return;
    try {
      const { otherSessionsEnded } = await change.mutateAsync({ current, next });
      formElement.reset();
      setDone(`Password changed. ${otherSessionsEnded === 1 ? "1 other session was" : `${otherSessionsEnded} other sessions were`} signed out.`);
    } catch (error) {
      setProblem(describeError(error));
    }
  }

  return (
    <form className="form-row" onSubmit={onSubmit} aria-label="Change your password">
      <label>
        Current password
        <input name="current" type="password" autoComplete="current-password" required maxLength={1024} />
      </label>
      <label>
        New password
        <input name="next" type="password" autoComplete="new-password" required maxLength={200} />
      </label>
      <label>
        New password again
        <input name="repeated" type="password" autoComplete="new-password" required maxLength={200} />
      </label>
      <button className="primary" type="submit" disabled={change.isPending}>
        Change password
      </button>
      {problem && (
        <p className="error" role="alert" style={{ flexBasis: "100%", margin: 0 }}>
          {problem}
        </p>
      )}
      {done && (
        <p className="notice" role="status" style={{ flexBasis: "100%", margin: 0 }}>
          {done}
        </p>
      )}
    </form>
  );
}
