"use client";

import { useRouter } from "next/navigation";
import { startTransition } from "react";
import { DatabaseUnavailable } from "@/components/layout/DatabaseUnavailable";
import { DATABASE_UNAVAILABLE } from "@/server/db/unavailable";

// A page that failed after the layout rendered (e.g. the database went away between two navigations).
export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  const again = (
    <button type="button" onClick={retry}>
      Try again
    </button>
  );
  if (error.digest === DATABASE_UNAVAILABLE) return <DatabaseUnavailable>{again}</DatabaseUnavailable>;
  return (
    <div className="panel empty" role="alert">
      <strong>Something went wrong on the server</strong>
      {error.digest ? `Error id ${error.digest}; it is in the server's log.` : "The details are in the server's log."}
      <p>{again}</p>
    </div>
  );
}
