import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { changeOwnPassword, changeRole, createOperator, listOperators, resetPassword, setDisabled } from "../../auth/accounts";
import { MAX_PASSWORD_LENGTH } from "../../auth/options";
import { currentSessionId } from "../../auth/session";
import { adminProcedure, createTRPCRouter, signedInProcedure } from "../init";
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
  /** Any signed-in operator, for their own account only: the session asking stays, the others end. */
  changeOwnPassword: signedInProcedure
    .input(z.object({ current: z.string().min(1, "enter your current password").max(MAX_PASSWORD_LENGTH), next: password }))
    .mutation(async ({ ctx, input }) => {
      return changeOwnPassword(ctx.db, { ...ctx.operator, ip: ctx.ip }, await currentSessionId(), input);
    }),
});
