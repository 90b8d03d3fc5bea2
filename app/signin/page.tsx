import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/SignInForm";
import { DatabaseUnavailable } from "@/components/layout/DatabaseUnavailable";
import { currentOperator } from "@/server/auth/session";
import { safeCallbackUrl } from "@/server/auth/callback-url";
import { isDatabaseUnavailable } from "@/server/db/unavailable";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(typeof params.callbackUrl === "string" ? params.callbackUrl : undefined);
  // With a session cookie and no database, the session is kept and the page says why it cannot go on.
  const operator = await currentOperator().catch((error: unknown) => {
    if (isDatabaseUnavailable(error)) return "unavailable" as const;
    throw error;
  });
  if (operator === "unavailable") {
    return (
      <main className="signin">
        <DatabaseUnavailable />
      </main>
    );
  }
  if (operator) redirect(callbackUrl);
  return (
    <main className="signin">
      <SignInForm callbackUrl={callbackUrl} />
    </main>
  );
}
