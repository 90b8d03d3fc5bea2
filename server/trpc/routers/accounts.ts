import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { changeRole, createOperator, listOperators, resetPassword, setDisabled } from "../../auth/accounts";
import { adminProcedure, createTRPCRouter } from "../init";
import { recordId, text } from "../inputs";

const password = z.string().min(12, "at least 12 characters").max(200);
const operatorId = recordId;
const role = z.enum(ROLES);

export const accountsRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listOperators(ctx.db)),
  create: adminProcedure
    .input(z.object({ email: z.email(), name: text(100).pipe(z.string().min(1)), role, password }))
    .mutation(({ ctx, input }) => createOperator(ctx.db, { ...ctx.operator, ip: ctx.ip }, input)),
  setRole: adminProcedure
    .input(z.object({ operatorId, role }))
    .mutation(({ ctx, input }) => changeRole(ctx.db, { ...ctx.operator, ip: ctx.ip }, input.operatorId, input.role)),
  setDisabled: adminProcedure
    .input(z.object({ operatorId, disabled: z.boolean() }))
    .mutation(({ ctx, input }) => setDisabled(ctx.db, { ...ctx.operator, ip: ctx.ip }, input.operatorId, input.disabled)),
  resetPassword: adminProcedure
    .input(z.object({ operatorId, password }))
    .mutation(({ ctx, input }) => resetPassword(ctx.db, { ...ctx.operator, ip: ctx.ip }, input.operatorId, input.password)),
});
