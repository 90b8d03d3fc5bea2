import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/SignInForm";
import { currentOperator } from "@/server/auth/session";
import { safeCallbackUrl } from "@/server/auth/callback-url";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(typeof params.callbackUrl === "string" ? params.callbackUrl : undefined);
  if (await currentOperator()) redirect(callbackUrl);
  return (
    <main className="signin">
      <SignInForm callbackUrl={callbackUrl} />
    </main>
  );
}
