import { z } from "zod";

export const paging = {
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(25),
};

export const runId = z.number().int().positive();
