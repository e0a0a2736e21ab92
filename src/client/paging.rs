//! Reading a listing page by page, the same way for every host that pages over HTTP:
//! at most [`MAX_PAGES`] pages, a page that repeats the one before is an error (a server
//! that ignores the page asked for would otherwise be read a thousand times over), and
//! a listing cut short is an error, never a shorter complete one. Where the listing goes
//! on after each page is the host's to read ([`Next`]); this file only follows it.

use std::future::Future;

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

/// One page as the host read it: its items, and where the listing goes on.
pub(crate) struct Page<T, R> {
    pub items: Vec<T>,
    pub next: Next<R>,
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
pub(crate) struct Paging<R> {
    /// The request for the first page.
    pub first: R,
    pub repeat: Repeat,
    /// What runs past [`MAX_PAGES`], with its verb, for the error that says so:
    /// "GET /api/v4/personal_access_tokens runs".
    pub runs: String,
    /// The page size asked for, said in that error.
    pub per_page: Option<usize>,
}

/// Every item of a listing: `fetch` asks for one page, `read` turns its answer into
/// items and where the listing goes on (given the page's number, from 1). Either may
/// stop the listing with its own error; a page that repeats the one before, or a
/// listing longer than [`MAX_PAGES`], stops it with a host error.
pub(crate) async fn paginate<R, T, E, Fut>(
    paging: Paging<R>,
    mut fetch: impl FnMut(R) -> Fut,
    mut read: impl FnMut(&Answer, usize) -> Result<Page<T, R>, E>,
) -> Result<Vec<T>, E>
where
    R: Clone + PartialEq,
    Fut: Future<Output = Result<Answer, E>>,
    E: From<Observation>,
{
    let mut items = Vec::new();
    let mut request = paging.first;
    let mut previous_body: Option<String> = None;
    for number in 1..=MAX_PAGES {
        let answer = fetch(request.clone()).await?;
        if let Repeat::Body = paging.repeat {
            same_body(&answer, previous_body.as_deref())?;
            previous_body = Some(answer.body.clone());
        }
        let page = read(&answer, number)?;
        items.extend(page.items);
        let Next::Page(next) = page.next else {
            return Ok(items);
        };
        if let Repeat::ContinuationToken { of } = paging.repeat
            && next == request
        {
            return Err(Observation::host_error(format!(
                "{} gave the same continuation token twice, so the list of {of} does not end",
                answer.request
            ))
            .into());
        }
        request = next;
    }
    Err(Observation::host_error(past_the_cap(&paging.runs, paging.per_page)).into())
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

/// A page's `Link` header (RFC 8288), which GitHub and GitLab send at most once.
pub(crate) enum Link {
    Absent,
    /// A `Link` that names no next page (a last page's `first`, `prev`, `last`).
    NoNext,
    /// The `rel="next"` target, as the page wrote it.
    Next(String),
}

/// The page's `Link` header; an `Err` says what is wrong with it (sent twice, or not
/// text), for the host's message.
pub(crate) fn link(answer: &Answer) -> Result<Link, String> {
    Ok(match answer.single_header("link")? {
        None => Link::Absent,
        Some(link) => match super::wire::next_link(&link) {
            Some(next) => Link::Next(next.to_owned()),
            None => Link::NoNext,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn answer(body: &str) -> Answer {
        Answer {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: body.into(),
            request: "GET /x".into(),
        }
    }

    /// Reads pages of `bodies` in turn, each body's number the next request.
    async fn read_all(
        bodies: &[&str],
        repeat: Repeat,
        last: usize,
    ) -> Result<Vec<String>, Observation> {
        let paging = Paging {
            first: 0,
            repeat,
            runs: "GET /x runs".into(),
            per_page: Some(2),
        };
        paginate(
            paging,
            |n: usize| std::future::ready(Ok(answer(bodies[n.min(bodies.len() - 1)]))),
            |answer, number| {
                Ok(Page {
                    items: vec![answer.body.clone()],
                    next: if number >= last {
                        Next::End
                    } else {
                        Next::Page(number)
                    },
                })
            },
        )
        .await
    }

    fn message(error: Observation) -> String {
        match error {
            Observation::Unchecked { detail, .. } => detail,
            other => panic!("not a host error: {other:?}"),
        }
    }

    #[tokio::test]
    async fn pages_are_read_until_the_host_says_the_end() {
        let items = read_all(&["[1]", "[2]", "[3]"], Repeat::Body, 3)
            .await
            .unwrap();
        assert_eq!(items, ["[1]", "[2]", "[3]"]);
    }

    #[tokio::test]
    async fn a_page_like_the_one_before_stops_the_listing() {
        let error = read_all(&["[1]", "[1]"], Repeat::Body, 3)
            .await
            .unwrap_err();
        assert!(message(error).contains("the same page as the one before"));
        // Empty bodies prove nothing.
        assert!(read_all(&["", ""], Repeat::Body, 2).await.is_ok());
    }

    #[tokio::test]
    async fn a_listing_past_the_cap_is_an_error() {
        let error = read_all(
            &["[1]", "[2]"],
            Repeat::ContinuationToken { of: "x" },
            usize::MAX,
        )
        .await
        .unwrap_err();
        assert!(
            message(error).contains(
                "GET /x runs past 1000 pages of 2, so the listing was not read to its end"
            )
        );
    }

    #[tokio::test]
    async fn a_continuation_token_given_twice_stops_the_listing() {
        let paging = Paging {
            first: None,
            repeat: Repeat::ContinuationToken { of: "users" },
            runs: "the users run".into(),
            per_page: None,
        };
        let error = paginate(
            paging,
            |_| std::future::ready(Ok::<_, Observation>(answer("{}"))),
            |_, _| {
                Ok(Page {
                    items: Vec::<()>::new(),
                    next: Next::Page(Some("again")),
                })
            },
        )
        .await
        .unwrap_err();
        assert!(
            message(error).contains(
                "gave the same continuation token twice, so the list of users does not end"
            )
        );
    }

    #[test]
    fn a_link_header_is_absent_without_next_or_names_the_next_page() {
        let with_links = |links: &[&'static str]| {
            let mut page = answer("[]");
            for link in links {
                page.headers.append("link", HeaderValue::from_static(link));
            }
            link(&page)
        };
        assert!(matches!(with_links(&[]), Ok(Link::Absent)));
        assert!(matches!(
            with_links(&["<https://h/x?page=1>; rel=\"first\""]),
            Ok(Link::NoNext)
        ));
        assert!(matches!(
            with_links(&["<https://h/x?page=2>; rel=\"next\""]),
            Ok(Link::Next(next)) if next == "https://h/x?page=2"
        ));
        assert!(
            with_links(&[
                "<https://h/x?page=2>; rel=next",
                "<https://h/x?page=3>; rel=next"
            ])
            .is_err()
        );
    }
}
