"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

/** For buttons that call the server: refreshes the page's data on success and shows what happened. */
export function useAction() {
  const router = useRouter();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const done = (text: string) => {
    setMessage({ ok: true, text });
    router.refresh();
  };
  const failed = (error: { message: string }) => setMessage({ ok: false, text: error.message });
  const note = message && (
    <span role={message.ok ? "status" : "alert"} className={message.ok ? "notice" : "error"}>
      {message.text}
    </span>
  );
  return { done, failed, note };
}
