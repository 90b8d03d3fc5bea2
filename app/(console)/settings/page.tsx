import type { Metadata } from "next";
import { PageHead } from "@/components/layout/EmptyState";
import { Tabs } from "@/components/layout/Nav";
import { requireOperator } from "@/server/auth/page-guard";
import { settingsTabs } from "./tabs";
import { ScrollRegion } from "@/components/layout/ScrollRegion";
import { PasswordForm } from "@/components/accounts/PasswordForm";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const operator = await requireOperator();
  return (
    <>
      <PageHead title="Settings" />
      <Tabs tabs={settingsTabs(operator.role === "admin")} />
      <section className="panel">
        <ScrollRegion label="Your account">
          <table aria-label="Your account">
            <tbody>
              <tr>
                <th scope="row">Name</th>
                <td>{operator.name}</td>
              </tr>
              <tr>
                <th scope="row">E-mail</th>
                <td>{operator.email}</td>
              </tr>
              <tr>
                <th scope="row">Role</th>
                <td>{operator.role}</td>
              </tr>
            </tbody>
          </table>
        </ScrollRegion>
        <p className="muted">
          {operator.role === "admin" ? "As an admin you manage accounts and roles under Accounts." : "Accounts and roles are managed by admins."}
        </p>
      </section>
      <section className="panel" aria-label="Password" style={{ marginTop: 16 }}>
        <h2 style={{ marginTop: 0 }}>Change your password</h2>
        <p className="muted">Your other sessions are signed out; this one stays.</p>
        <PasswordForm />
      </section>
    </>
  );
}
