import Link from "next/link";

export default function NotFound() {
  return (
    <main className="signin">
      <div className="panel empty">
        <strong>404 · Not found</strong>
        There is nothing at this address.
        <p>
          <Link href="/">Back to the overview</Link>
        </p>
      </div>
    </main>
  );
}
