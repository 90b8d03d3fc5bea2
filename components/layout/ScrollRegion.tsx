import type { CSSProperties, ReactNode } from "react";

/**
 * Wide content (a table) that scrolls inside its box on a narrow screen instead of widening the page.
 * Focusable and labelled, so a keyboard user can reach it and scroll it with the arrow keys.
 */
export function ScrollRegion({ label, panel = false, style, children }: { label: string; panel?: boolean; style?: CSSProperties; children: ReactNode }) {
  return (
    <div className={panel ? "panel scroll-x" : "scroll-x"} role="group" aria-label={label} tabIndex={0} style={style}>
      {children}
    </div>
  );
}
