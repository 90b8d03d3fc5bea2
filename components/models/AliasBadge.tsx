/** What each alias means, for the tooltip and the legend beside it. */
export const ALIAS_MEANING: Record<string, string> = {
  champion: "the version every listener outside an experiment is served",
  challenger: "the best candidate of the latest train run that did not beat the champion, kept for an A/B test against it",
};

/** An alias of a version, explained on hover. */
export function AliasBadge({ alias }: { alias: string }) {
  return (
    <span className="badge success" title={ALIAS_MEANING[alias]}>
      {alias}
    </span>
  );
}

/** The line that explains "challenger" wherever one shows. */
export function ChallengerLegend() {
  return (
    <p className="muted" data-testid="challenger-legend">
      <strong>challenger</strong>: {ALIAS_MEANING.challenger}.
    </p>
  );
}
