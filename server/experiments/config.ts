import type { Env } from "../config/env";
import type { AnalyzeConfig } from "./pipeline";

export const analyzeConfig = (env: Env): AnalyzeConfig => ({ deadlineUtc: env.ALERT_DEADLINE_UTC, feedbackKeepDays: env.FEEDBACK_KEEP_DAYS });
