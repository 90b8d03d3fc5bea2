export const settingsTabs = (isAdmin: boolean) => [
  { href: "/settings", label: "Your account" },
  ...(isAdmin
    ? [
        { href: "/settings/accounts", label: "Accounts" },
        { href: "/settings/api-keys", label: "API keys" },
        { href: "/settings/audit", label: "Audit log" },
      ]
    : []),
];
