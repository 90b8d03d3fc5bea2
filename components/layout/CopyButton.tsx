"use client";

import { useState } from "react";

/** Copies `text` to the clipboard and says so (or says to copy by hand where the browser refuses). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "refused">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("refused");
    }
  }
  return (
    <span className="toolbar">
      <button type="button" onClick={copy}>
        {label}
      </button>
      {state !== "idle" && (
        <span role="status" className={state === "copied" ? "notice" : "error"}>
          {state === "copied" ? "Copied." : "The browser refused: select it and copy."}
        </span>
      )}
    </span>
  );
}
