//! The listing helper against hosts made of closures: pages read in turn and at once, and
//! every way a listing that moved while it was read is told from a complete one.

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
    let paging = Paging::new(0, repeat, "GET /x runs".into(), Some(2));
    paginate(
        paging,
        |n: usize| std::future::ready(Ok(answer(bodies[n.min(bodies.len() - 1)]))),
        |answer, number| {
            Ok(Page::new(
                vec![answer.body.clone()],
                if number >= last {
                    Next::End
                } else {
                    Next::Page(number)
                },
            ))
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
        message(error)
            .contains("GET /x runs past 1000 pages of 2, so the listing was not read to its end")
    );
}

#[tokio::test]
async fn a_continuation_token_given_twice_stops_the_listing() {
    let paging = Paging::new(
        None,
        Repeat::ContinuationToken { of: "users" },
        "the users run".into(),
        None,
    );
    let error = paginate(
        paging,
        |_| std::future::ready(Ok::<_, Observation>(answer("{}"))),
        |_, _| Ok(Page::new(Vec::<()>::new(), Next::Page(Some("again")))),
    )
    .await
    .unwrap_err();
    assert!(
        message(error)
            .contains("gave the same continuation token twice, so the list of users does not end")
    );
}

/// A numbered listing of `pages` (each a list of item ids) as a host would serve it:
/// page `n` asked for with `n`, saying its extent with `extent(n)` (by default the
/// last page, the next page and how many items there are).
struct Served {
    pages: Vec<Vec<u32>>,
    extent: fn(usize, &[Vec<u32>]) -> Extent,
    /// Pages asked for, in the order they were asked.
    asked: std::sync::Mutex<Vec<usize>>,
}

fn stated(n: usize, pages: &[Vec<u32>]) -> Extent {
    let last = pages.len();
    Extent {
        next: (n < last).then_some(n + 1),
        last: Some(last),
        items: Some(pages.iter().map(Vec::len).sum()),
    }
}

impl Served {
    fn new(pages: Vec<Vec<u32>>) -> Self {
        Served {
            pages,
            extent: stated,
            asked: Default::default(),
        }
    }

    fn said(mut self, extent: fn(usize, &[Vec<u32>]) -> Extent) -> Self {
        self.extent = extent;
        self
    }

    async fn read(&self, concurrency: usize) -> Result<Vec<u32>, Observation> {
        let page = |n: usize| n;
        let paging = Paging::new(1, Repeat::Body, "GET /x runs".into(), Some(2))
            .keyed(|id: &u32| id.to_string())
            .numbered(&page, concurrency);
        paginate(
            paging,
            |n: usize| {
                self.asked.lock().unwrap().push(n);
                let body = format!("{:?}", self.pages.get(n - 1));
                let mut page = answer(&body);
                page.headers.insert("x-page", HeaderValue::from(n));
                std::future::ready(Ok(page))
            },
            |answer, number| {
                assert_eq!(
                    answer.headers["x-page"].to_str().unwrap(),
                    number.to_string()
                );
                let extent = (self.extent)(number, &self.pages);
                let items = self.pages.get(number - 1).cloned().unwrap_or_default();
                Ok(Page {
                    items,
                    next: match extent.next {
                        Some(n) => Next::Page(n),
                        None => Next::End,
                    },
                    extent,
                })
            },
        )
        .await
    }

    fn asked(&self) -> Vec<usize> {
        self.asked.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn a_numbered_listing_that_states_its_last_page_is_read_at_once_in_order() {
    let served = Served::new(vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![7]]);
    assert_eq!(served.read(8).await.unwrap(), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(served.asked(), [1, 2, 3, 4]);
    // Without a stated last page, each page's next is followed in turn.
    let served = Served::new(vec![vec![1, 2], vec![3]]).said(|n, pages| Extent {
        last: None,
        items: None,
        ..stated(n, pages)
    });
    assert_eq!(served.read(8).await.unwrap(), [1, 2, 3]);
}

#[tokio::test]
async fn pages_that_disagree_with_the_first_make_no_listing() {
    type Said = fn(usize, &[Vec<u32>]) -> Extent;
    let cases: [(Vec<Vec<u32>>, Said, &str); 8] = [
        // Page 3 of 4 says there are 5 pages: the listing grew while it was read.
        (
            vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![7]],
            |n, pages| Extent {
                last: Some(if n == 3 { 5 } else { pages.len() }),
                ..stated(n, pages)
            },
            "page 3 says the last page is page 5, where page 1 said 4 pages",
        ),
        // A middle page counts a different total.
        (
            vec![vec![1, 2], vec![3, 4], vec![5]],
            |n, pages| Extent {
                items: Some(if n == 2 { 6 } else { 5 }),
                ..stated(n, pages)
            },
            "page 2 counts 6 items, where page 1 said 3 pages of 5 items",
        ),
        // A middle page stops saying where the listing ends.
        (
            vec![vec![1, 2], vec![3, 4], vec![5]],
            |n, pages| Extent {
                last: (n != 2).then_some(3),
                ..stated(n, pages)
            },
            "page 2 no longer says which page is the last",
        ),
        // The last page says another follows.
        (
            vec![vec![1, 2], vec![3, 4], vec![5]],
            |n, pages| Extent {
                next: Some(n + 1),
                ..stated(n, pages)
            },
            "page 3 says another page follows it",
        ),
        // A middle page points elsewhere than the next page.
        (
            vec![vec![1, 2], vec![3, 4], vec![5]],
            |n, pages| Extent {
                next: if n == 2 {
                    Some(7)
                } else {
                    stated(n, pages).next
                },
                ..stated(n, pages)
            },
            "page 2 does not point at page 3",
        ),
        // A page starts with the previous page's last item: one item twice.
        (
            vec![vec![1, 2], vec![2, 3], vec![4]],
            |n, pages| Extent {
                items: None,
                ..stated(n, pages)
            },
            "listed an item on page 2 that page 1 listed too",
        ),
        // A page short of a full one before the last: items moved between pages.
        (
            vec![vec![1, 2], vec![3], vec![5]],
            |n, pages| Extent {
                items: None,
                ..stated(n, pages)
            },
            "page 2 holds 1 items where a page before the last holds 2",
        ),
        // Every page agrees, and yet the pages hold fewer items than counted.
        (
            vec![vec![1, 2], vec![3, 4], vec![5]],
            |n, pages| Extent {
                items: Some(6),
                ..stated(n, pages)
            },
            "counted 6 items on its first page, and its 3 pages held 5",
        ),
    ];
    for (pages, said, expected) in cases {
        let error = Served::new(pages).said(said).read(4).await.unwrap_err();
        let message = message(error);
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(
            message.contains("not complete") || message.contains("skipped"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_stated_last_page_past_the_cap_is_an_error_before_anything_else_is_asked() {
    let served = Served::new(vec![vec![1, 2], vec![3, 4]]).said(|n, pages| Extent {
        last: Some(MAX_PAGES + 1),
        ..stated(n, pages)
    });
    let error = served.read(4).await.unwrap_err();
    assert!(message(error).contains("past 1000 pages of 2"));
    assert_eq!(served.asked(), [1]);
}

#[test]
fn links_name_the_next_and_the_last_page() {
    let with_links = |lines: &[&'static str]| {
        let mut page = answer("[]");
        for link in lines {
            page.headers.append("link", HeaderValue::from_static(link));
        }
        links(&page)
    };
    let none = with_links(&[]).unwrap();
    assert!(!none.present && none.next.is_none() && none.last.is_none());
    let first = with_links(&["<https://h/x?page=1>; rel=\"first\""]).unwrap();
    assert!(first.present && first.next.is_none());
    let middle = with_links(&[
        "<https://h/x?per_page=2&page=3>; rel=\"next\", <https://h/x?per_page=2&page=9>; rel=\"last\"",
    ])
    .unwrap();
    assert_eq!(
        middle.next.as_deref(),
        Some("https://h/x?per_page=2&page=3")
    );
    assert_eq!(middle.last.as_deref().and_then(page_number), Some(9));
    assert_eq!(middle.next.as_deref().and_then(page_number), Some(3));
    assert_eq!(page_number("https://h/x?after=Y3Vyc29y"), None);
    assert_eq!(page_number("https://h/x?page=0"), None);
    assert!(
        with_links(&[
            "<https://h/x?page=2>; rel=next",
            "<https://h/x?page=3>; rel=next"
        ])
        .is_err()
    );
}
