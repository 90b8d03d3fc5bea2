import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="signin">
      <div className="panel empty">
        <strong>403 · Not allowed</strong>
        Your role cannot open this page. Ask an admin if you need it.
        <p>
          <Link href="/">Back to the overview</Link>
        </p>
      </div>
    </main>
  );
}
