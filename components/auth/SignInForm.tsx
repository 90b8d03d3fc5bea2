"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

const WRONG_CREDENTIALS = "CredentialsSignin";

export function SignInForm({ callbackUrl }: { callbackUrl: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (result?.ok) {
      router.replace(callbackUrl);
      router.refresh();
      return;
    }
    setError(!result?.error || result.error === WRONG_CREDENTIALS ? "Wrong e-mail or password." : result.error);
  }

  return (
    <form className="panel" onSubmit={onSubmit} aria-describedby={error ? "signin-error" : undefined}>
      <h1>Encore</h1>
      <p className="muted" style={{ textAlign: "center", margin: 0 }}>
        Sign in to the operations console
      </p>
      <label>
        E-mail
        {/* biome-ignore lint/a11y/noAutofocus: signing in is all this page is for */}
        <input name="email" type="email" autoComplete="username" required autoFocus />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p id="signin-error" role="alert" className="error">
          {error}
        </p>
      )}
      <button className="primary" type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
