/** A page of a list: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Every item of a list, fetched page by page as the loop needs them; `pages()` walks the pages instead. */
export interface PagedIterable<T> extends AsyncIterable<T> {
  pages(): AsyncIterable<Page<T>>;
}

/** Walks a list by its cursors, fetching the next page only when the loop asks for more. */
export function iteratePages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): PagedIterable<T> {
  async function* pages(): AsyncGenerator<Page<T>> {
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  return {
    pages,
    async *[Symbol.asyncIterator]() {
      for await (const page of pages()) yield* page.data;
    },
  };
}
