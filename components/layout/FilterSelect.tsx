/** A GET-form filter: "any" or one of `options`, keeping the current choice. */
export function FilterSelect({ label, name, options, value }: { label: string; name: string; options: readonly string[]; value: string | undefined }) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value ?? ""}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}
