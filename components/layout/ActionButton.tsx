"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { describeError } from "@/components/format";

/**
 * A button that calls the server: disabled while it runs, then shows what happened and refreshes
 * the page's data (or hands the result to `onDone`, e.g. to navigate). `validate` names what is wrong
 * with the form before anything is asked or sent.
 */
export function ActionButton<T>({
  label,
  pendingLabel = label,
  confirm,
  validate,
  primary,
  run,
  doneText,
  onDone,
}: {
  label: string;
  pendingLabel?: string;
  confirm?: string;
  validate?: () => string | null;
  primary?: boolean;
  run: () => Promise<T>;
  doneText?: string;
  onDone?: (result: T) => void;
}) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function click() {
    const invalid = validate?.() ?? null;
    if (invalid) return setMessage({ ok: false, text: invalid });
    if (confirm && !window.confirm(confirm)) return;
    setPending(true);
    setMessage(null);
    try {
      const result = await run();
      if (onDone) onDone(result);
      else {
        setMessage({ ok: true, text: doneText ?? "Done." });
        router.refresh();
      }
    } catch (error) {
      // zod's issues as field messages, never its JSON.
      setMessage({ ok: false, text: describeError(error) });
    } finally {
      setPending(false);
    }
  }

  return (
    <span className="toolbar">
      <button className={primary ? "primary" : undefined} type="button" disabled={pending} onClick={click}>
        {pending ? pendingLabel : label}
      </button>
      {message && (
        <span role={message.ok ? "status" : "alert"} className={message.ok ? "notice" : "error"}>
          {message.text}
        </span>
      )}
    </span>
  );
}
