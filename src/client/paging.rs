//! Reading a listing page by page, the same way for every host that pages over HTTP:
//! at most [`MAX_PAGES`] pages, a page that repeats the one before is an error (a server
//! that ignores the page asked for would otherwise be read a thousand times over), an
//! item listed twice is an error (the listing moved while it was read, so another item
//! was skipped), and a listing cut short is an error, never a shorter complete one.
//!
//! Where the listing goes on after each page is the host's to read ([`Next`]). When the
//! first page of a numbered listing says which page is the last ([`Extent`]), the other
//! pages are asked at once, within `--concurrency`, and the listing is complete only if
//! every page agrees with the first: the same last page (and item count, where the host
//! gives one), each page pointing at the next, every page before the last full, and no
//! item twice. Otherwise each page's `next` is followed in turn.

use std::collections::HashMap;
use std::future::Future;

use futures_util::StreamExt;

use super::Answer;
use crate::facts::Observation;

/// The most pages patlint reads from one listing: past it the listing is cut short and
/// reported as an error, never taken for complete.
pub(crate) const MAX_PAGES: usize = 1_000;

/// Where a listing goes on after a page: nowhere, or the request for the next page, in
/// whatever form the host fetches with (a path, a URL, a continuation token).
pub(crate) enum Next<R> {
    End,
    Page(R),
}

/// What a page of a numbered listing says of the listing as a whole, as far as it says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    /// The number of the page its `next` asks for.
    pub next: Option<usize>,
    /// The number of the last page (GitLab `x-total-pages`, `Link: rel="last"`).
    pub last: Option<usize>,
    /// How many items the whole listing holds (GitLab `x-total`).
    pub items: Option<usize>,
}

/// One page as the host read it: its items, where the listing goes on, and what it says
/// of the whole listing.
pub(crate) struct Page<T, R> {
    pub items: Vec<T>,
    pub next: Next<R>,
    pub extent: Extent,
}

impl<T, R> Page<T, R> {
    /// A page that says nothing of the listing beyond where it goes on.
    pub(crate) fn new(items: Vec<T>, next: Next<R>) -> Self {
        Page {
            items,
            next,
            extent: Extent::default(),
        }
    }
}

/// How a page shows that the server did not move on.
pub(crate) enum Repeat {
    /// The same body as the page before: a page number or a link the server ignored.
    Body,
    /// The continuation token just asked with, given again: the next page would be
    /// this one. `of` names what is listed ("users").
    ContinuationToken { of: &'static str },
}

/// A listing to read to its end.
pub(crate) struct Paging<'a, R, T> {
    /// The request for the first page.
    pub first: R,
    pub repeat: Repeat,
    /// What runs past [`MAX_PAGES`], with its verb, for the error that says so:
    /// "GET /api/v4/personal_access_tokens runs".
    pub runs: String,
    /// The page size asked for: said in that error, and every page of a numbered
    /// listing before its last holds this many items.
    pub per_page: Option<usize>,
    /// What tells an item from every other (its id): none is listed twice.
    pub key: Option<fn(&T) -> String>,
    /// The request for page `n` of a numbered listing: with it, a first page that says
    /// which page is the last lets the others be asked at once.
    pub numbered: Option<&'a (dyn Fn(usize) -> R + Sync)>,
    /// Pages asked at once (`--concurrency`; each origin is bounded by it too).
    pub concurrency: usize,
}

impl<R, T> Paging<'_, R, T> {
    /// A listing read page after page, its items not told apart.
    pub(crate) fn new(first: R, repeat: Repeat, runs: String, per_page: Option<usize>) -> Self {
        Paging {
            first,
            repeat,
            runs,
            per_page,
            key: None,
            numbered: None,
            concurrency: 1,
        }
    }

    /// No item twice: `key` names each.
    pub(crate) fn keyed(mut self, key: fn(&T) -> String) -> Self {
        self.key = Some(key);
        self
    }
}

impl<'a, R, T> Paging<'a, R, T> {
    /// Page `n` is asked with `page(n)`: once the first page says which is the last, the
    /// rest are asked `concurrency` at a time.
    pub(crate) fn numbered(
        mut self,
        page: &'a (dyn Fn(usize) -> R + Sync),
        concurrency: usize,
    ) -> Self {
        self.numbered = Some(page);
        self.concurrency = concurrency.max(1);
        self
    }
}

/// Every item of a listing: `fetch` asks for one page, `read` turns its answer into
/// items and where the listing goes on (given the page's number, from 1). Either may
/// stop the listing with its own error; a page that repeats the one before, an item
/// listed twice, a page that disagrees with the first on the listing's extent, or a
/// listing longer than [`MAX_PAGES`], stops it with a host error.
pub(crate) async fn paginate<R, T, E, Fut>(
    paging: Paging<'_, R, T>,
    fetch: impl Fn(R) -> Fut,
    mut read: impl FnMut(&Answer, usize) -> Result<Page<T, R>, E>,
) -> Result<Vec<T>, E>
where
    R: Clone + PartialEq,
    Fut: Future<Output = Result<Answer, E>>,
    E: From<Observation>,
{
    let mut listing = Collected::new(&paging);
    let answer = fetch(paging.first.clone()).await?;
    let first = read(&answer, 1)?;
    let extent = first.extent;
    let next = listing.take(&answer, 1, first)?;
    match (paging.numbered, extent.last) {
        (Some(page), Some(last)) if last > 1 => {
            let stated = Stated::of(&answer, extent, last, &paging)?;
            if !matches!(next, Next::Page(_)) || extent.next.is_some_and(|n| n != 2) {
                return Err(stated.disagrees(&answer, 1, "points at no page 2").into());
            }
            let pages = futures_util::stream::iter(2..=last)
                .map(|number| {
                    let answer = fetch(page(number));
                    async move { (number, answer.await) }
                })
                .buffered(paging.concurrency);
            let mut pages = std::pin::pin!(pages);
            while let Some((number, answer)) = pages.next().await {
                let answer = answer?;
                let page = read(&answer, number)?;
                stated.agrees(&answer, number, &page)?;
                listing.take(&answer, number, page)?;
            }
            stated.all_there(&answer, listing.items.len())?;
            Ok(listing.items)
        }
        _ => follow(&paging, fetch, read, listing, next).await,
    }
}

/// Reads the pages after the first in turn, each from the one before's `next`.
async fn follow<R, T, E, Fut>(
    paging: &Paging<'_, R, T>,
    fetch: impl Fn(R) -> Fut,
    mut read: impl FnMut(&Answer, usize) -> Result<Page<T, R>, E>,
    mut listing: Collected<T>,
    mut next: Next<R>,
) -> Result<Vec<T>, E>
where
    R: Clone + PartialEq,
    Fut: Future<Output = Result<Answer, E>>,
    E: From<Observation>,
{
    let mut request = paging.first.clone();
    for number in 2..=MAX_PAGES {
        let Next::Page(asked) = next else {
            return Ok(listing.items);
        };
        if let Repeat::ContinuationToken { of } = paging.repeat
            && asked == request
        {
            return Err(Observation::host_error(format!(
                "{} gave the same continuation token twice, so the list of {of} does not end",
                listing.last_request
            ))
            .into());
        }
        request = asked;
        let answer = fetch(request.clone()).await?;
        let page = read(&answer, number)?;
        next = listing.take(&answer, number, page)?;
    }
    match next {
        Next::End => Ok(listing.items),
        Next::Page(_) => {
            Err(Observation::host_error(past_the_cap(&paging.runs, paging.per_page)).into())
        }
    }
}

/// The items read so far, and what tells whether the next page moved on.
struct Collected<T> {
    items: Vec<T>,
    key: Option<fn(&T) -> String>,
    /// The page each key was first listed on.
    seen: HashMap<String, usize>,
    compare_bodies: bool,
    previous_body: Option<String>,
    /// The request of the last page taken, for messages.
    last_request: String,
}

impl<T> Collected<T> {
    fn new<R>(paging: &Paging<'_, R, T>) -> Self {
        Collected {
            items: Vec::new(),
            key: paging.key,
            seen: HashMap::new(),
            compare_bodies: matches!(paging.repeat, Repeat::Body),
            previous_body: None,
            last_request: String::new(),
        }
    }

    /// Adds a page's items, unless the page repeats the one before or lists an item
    /// already listed; where the listing goes on after it.
    fn take<R>(
        &mut self,
        answer: &Answer,
        number: usize,
        page: Page<T, R>,
    ) -> Result<Next<R>, Observation> {
        if self.compare_bodies {
            same_body(answer, self.previous_body.as_deref())?;
            self.previous_body = Some(answer.body.clone());
        }
        self.last_request = answer.request.clone();
        if let Some(key) = self.key {
            for item in &page.items {
                if let Some(before) = self.seen.insert(key(item), number) {
                    return Err(Observation::host_error(format!(
                        "{} listed an item on page {number} that page {before} listed too: the listing moved while it was read, so another item may have been skipped, and it is not complete",
                        answer.request
                    )));
                }
            }
        }
        self.items.extend(page.items);
        Ok(page.next)
    }
}

/// What the first page of a numbered listing said of it, which every other page must
/// agree with.
struct Stated {
    last: usize,
    items: Option<usize>,
    per_page: Option<usize>,
}

impl Stated {
    fn of<R, T>(
        first: &Answer,
        extent: Extent,
        last: usize,
        paging: &Paging<'_, R, T>,
    ) -> Result<Self, Observation> {
        if last > MAX_PAGES {
            return Err(Observation::host_error(format!(
                "{} says its last page is page {last}: {}",
                first.request,
                past_the_cap(&paging.runs, paging.per_page)
            )));
        }
        Ok(Stated {
            last,
            items: extent.items,
            per_page: paging.per_page,
        })
    }

    /// An error if page `number` does not say what the first page said of the listing:
    /// the same last page, the same item count, the next page after it (none after the
    /// last), and a full page before the last one (an empty one at the last).
    fn agrees<T, R>(
        &self,
        answer: &Answer,
        number: usize,
        page: &Page<T, R>,
    ) -> Result<(), Observation> {
        let extent = page.extent;
        let last = self.last;
        match extent.last {
            Some(said) if said != last => {
                return Err(self.disagrees(
                    answer,
                    number,
                    &format!("says the last page is page {said}"),
                ));
            }
            // GitHub names no last page on the last page itself.
            None if number < last => {
                return Err(self.disagrees(
                    answer,
                    number,
                    "no longer says which page is the last",
                ));
            }
            _ => {}
        }
        if let (Some(said), Some(stated)) = (extent.items, self.items)
            && said != stated
        {
            return Err(self.disagrees(answer, number, &format!("counts {said} items")));
        }
        match (&page.next, number < last) {
            (Next::Page(_), true) if extent.next == Some(number + 1) => {}
            (Next::Page(_), true) => {
                return Err(self.disagrees(
                    answer,
                    number,
                    &format!("does not point at page {}", number + 1),
                ));
            }
            (Next::End, true) => {
                return Err(self.disagrees(answer, number, "says no page follows it"));
            }
            (Next::Page(_), false) => {
                return Err(self.disagrees(answer, number, "says another page follows it"));
            }
            (Next::End, false) => {}
        }
        let held = page.items.len();
        match self.per_page {
            Some(full) if number < last && held != full => Err(self.disagrees(
                answer,
                number,
                &format!("holds {held} items where a page before the last holds {full}"),
            )),
            _ if number == last && held == 0 => {
                Err(self.disagrees(answer, number, "holds no items"))
            }
            _ => Ok(()),
        }
    }

    /// An error unless the pages held as many items as the first page counted.
    fn all_there(&self, first: &Answer, held: usize) -> Result<(), Observation> {
        match self.items {
            Some(counted) if counted != held => Err(Observation::host_error(format!(
                "{} counted {counted} items on its first page, and its {} pages held {held}: the listing changed while it was read, so it is not complete",
                first.request, self.last
            ))),
            _ => Ok(()),
        }
    }

    fn disagrees(&self, answer: &Answer, number: usize, what: &str) -> Observation {
        let first = match self.items {
            Some(items) => format!("page 1 said {} pages of {items} items", self.last),
            None => format!("page 1 said {} pages", self.last),
        };
        Observation::host_error(format!(
            "{}: page {number} {what}, where {first}: the listing changed while it was read, so it is not complete",
            answer.request
        ))
    }
}

/// An error if this page's body is the page before's (an empty body proves nothing).
fn same_body(answer: &Answer, previous: Option<&str>) -> Result<(), Observation> {
    if !answer.body.is_empty() && previous == Some(answer.body.as_str()) {
        return Err(Observation::host_error(format!(
            "{} answered the same page as the one before, so the listing does not go on",
            answer.request
        )));
    }
    Ok(())
}

/// Why a listing longer than [`MAX_PAGES`] is an error: `runs` is what runs past it,
/// with its verb ("iam:ListUsers runs").
pub(crate) fn past_the_cap(runs: &str, per_page: Option<usize>) -> String {
    let of = per_page.map(|n| format!(" of {n}")).unwrap_or_default();
    format!("{runs} past {MAX_PAGES} pages{of}, so the listing was not read to its end")
}

/// A page's `Link` header (RFC 8288), which GitHub and GitLab send at most once: each
/// lists the next and the last page in it, the last only where it can be counted
/// (<https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api#using-link-headers>:
/// "the link to the last page won't be included if it can't be calculated";
/// <https://docs.gitlab.com/api/rest/#pagination-response-headers>: no `rel="last"`
/// past 10,000 items).
pub(crate) struct Links {
    /// Whether the page sent a `Link` at all.
    pub present: bool,
    /// The `rel="next"` target, as the page wrote it.
    pub next: Option<String>,
    /// The `rel="last"` target, as the page wrote it.
    pub last: Option<String>,
}

/// The page's `Link` header; an `Err` says what is wrong with it (sent twice, or not
/// text), for the host's message.
pub(crate) fn links(answer: &Answer) -> Result<Links, String> {
    let link = answer.single_header("link")?;
    let target = |rel| {
        link.as_deref()
            .and_then(|link| super::wire::link_target(link, rel))
            .map(str::to_owned)
    };
    Ok(Links {
        present: link.is_some(),
        next: target("next"),
        last: target("last"),
    })
}

/// The page number a link asks for: its `page` query parameter, which GitHub's and
/// GitLab's page-numbered listings take (a link with a cursor instead has none).
pub(crate) fn page_number(link: &str) -> Option<usize> {
    let url = reqwest::Url::parse(link).ok()?;
    let number = url
        .query_pairs()
        .find(|(name, _)| name == "page")?
        .1
        .parse()
        .ok()?;
    (number > 0).then_some(number)
}

#[cfg(test)]
mod tests;
