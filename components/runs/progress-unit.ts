/** What a task's progress counts (the ledger keeps done/total per try): ingestion pages, demo days, users scored, training steps. */
export function progressUnit(pipeline: string, task: string): string {
  if (pipeline === "demo") return "days";
  if (pipeline === "train") return task === "score" ? "users" : "steps";
  return "pages";
}
