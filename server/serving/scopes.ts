// What an API key may do and how fast; plain values, so the console's client code can show them too.
export const SCOPES = ["recommendations:read", "events:write", "experiments:read"] as const;
export type Scope = (typeof SCOPES)[number];

export const DEFAULT_RATE_PER_SECOND = 1000;
export const DEFAULT_BURST = 2000;
