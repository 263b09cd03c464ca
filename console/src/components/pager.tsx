/** Previous / next over an offset-paged list, with the position shown. */
export function Pager({
  from,
  size,
  total,
  onPage,
}: {
  from: number;
  size: number;
  total: number;
  onPage: (from: number) => void;
}) {
  if (total <= size) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={from === 0} onClick={() => onPage(Math.max(0, from - size))}>
        Previous
      </button>
      <span>
        {from + 1}–{Math.min(from + size, total)} of {total}
      </span>
      <button type="button" disabled={from + size >= total} onClick={() => onPage(from + size)}>
        Next
      </button>
    </nav>
  );
}

/** The page's `from` in the URL, so a copied link shows the same page. */
export function useFrom(query: Record<string, string | undefined>): number {
  return Math.max(0, Number(query.from) || 0);
}
