//! Long lists (stances, the timeline, the audit trail) a page at a time, in
//! the API (`?limit=&after=`) and in the UI (next and previous links).
//!
//! A page is cut from the list the user may see, after the visibility
//! filter and any other filter: the cursor is a position in that list and
//! the total is its length, so neither says anything about records the user
//! cannot see. Clients treat the cursor as opaque and pass back the
//! `X-Next-Cursor` of the previous answer.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;

/// Items per page when the request names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items one page may hold.
pub const MAX_LIMIT: usize = 1000;

/// The response header carrying the cursor of the next page (absent on the
/// last page).
pub const NEXT_CURSOR: &str = "x-next-cursor";
/// The response header carrying the length of the whole (visible) list.
pub const TOTAL_COUNT: &str = "x-total-count";

/// `?limit=&after=` as given; read as text so that a bad value gets an
/// error naming the parameter rather than the query string's parser's.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// Items per page (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]).
    #[serde(default)]
    pub limit: Option<String>,
    /// The cursor from the previous page's `X-Next-Cursor`.
    #[serde(default)]
    pub after: Option<String>,
}

/// A validated page request: skip `after` items, show up to `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Items of the visible list before this page.
    pub after: usize,
    /// Items per page.
    pub limit: usize,
}

fn bad(name: &str, message: String) -> ApiError {
    let mut e = ApiError::field(name, message);
    e.status = StatusCode::BAD_REQUEST;
    e
}

impl PageQuery {
    /// The window asked for, or a 400 naming `limit` or `after`.
    pub fn window(&self) -> ApiResult<Window> {
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(bad(
                        "limit",
                        format!("expected a whole number from 1 to {MAX_LIMIT}, got {l:?}"),
                    ))
                }
            },
        };
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(a) => a.parse::<usize>().map_err(|_| {
                bad(
                    "after",
                    format!("expected a cursor from X-Next-Cursor, got {a:?}"),
                )
            })?,
        };
        Ok(Window { after, limit })
    }
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<'a, T> {
    /// The page's items.
    pub items: &'a [T],
    /// Where the page starts in the whole list.
    pub after: usize,
    /// The whole list's length.
    pub total: usize,
    /// The cursor of the next page, if there is one.
    pub next: Option<usize>,
    /// The cursor of the previous page, if this is not the first.
    pub prev: Option<usize>,
}

impl Window {
    /// Cuts this window out of the (visible) list.
    pub fn of<'a, T>(&self, all: &'a [T]) -> Page<'a, T> {
        let start = self.after.min(all.len());
        let end = start.saturating_add(self.limit).min(all.len());
        Page {
            items: &all[start..end],
            after: start,
            total: all.len(),
            next: (end < all.len()).then_some(end),
            prev: (start > 0).then(|| start.saturating_sub(self.limit)),
        }
    }
}

impl<T> Page<'_, T> {
    /// The headers an API answer carries: the total, and the next cursor
    /// when there is a next page.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut h = vec![(HeaderName::from_static(TOTAL_COUNT), self.total.into())];
        if let Some(n) = self.next {
            h.push((HeaderName::from_static(NEXT_CURSOR), n.into()));
        }
        h
    }

    /// The answer for an API list: the page's items as a JSON array, with
    /// [`Page::headers`].
    pub fn answer(&self, items: serde_json::Value) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut res = axum::Json(items).into_response();
        for (k, v) in self.headers() {
            res.headers_mut().insert(k, v);
        }
        res
    }

    /// Links for a UI page (`base` is the page's path and query without
    /// the paging parameters): next, previous, and where the page starts.
    pub fn links(&self, base: &str, limit: usize) -> serde_json::Value {
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |after: usize| {
            if after == 0 && limit == DEFAULT_LIMIT {
                base.to_string()
            } else if limit == DEFAULT_LIMIT {
                format!("{base}{sep}after={after}")
            } else {
                format!("{base}{sep}limit={limit}&after={after}")
            }
        };
        serde_json::json!({
            "next": self.next.map(link),
            "prev": self.prev.map(link),
            "from": if self.items.is_empty() { self.after } else { self.after + 1 },
            "to": self.after + self.items.len(),
            "total": self.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(limit: Option<&str>, after: Option<&str>) -> PageQuery {
        PageQuery {
            limit: limit.map(str::to_string),
            after: after.map(str::to_string),
        }
    }

    #[test]
    fn pages_tile_the_list() {
        let all: Vec<u32> = (0..23).collect();
        for limit in 1..30 {
            let mut got = Vec::new();
            let mut after = None::<usize>;
            loop {
                let w = q(
                    Some(&limit.to_string()),
                    after.map(|a| a.to_string()).as_deref(),
                )
                .window()
                .unwrap();
                let p = w.of(&all);
                assert_eq!(p.total, 23);
                got.extend_from_slice(p.items);
                match p.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            assert_eq!(got, all, "limit {limit}");
        }
        let p = Window {
            after: 10,
            limit: 4,
        }
        .of(&all);
        assert_eq!((p.prev, p.next), (Some(6), Some(14)));
        let p = Window { after: 2, limit: 4 }.of(&all);
        assert_eq!(p.prev, Some(0));
        let p = Window {
            after: 99,
            limit: 4,
        }
        .of(&all);
        assert!(p.items.is_empty() && p.next.is_none());
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(
            q(None, None).window().unwrap(),
            Window {
                after: 0,
                limit: DEFAULT_LIMIT
            }
        );
        for (l, a, name) in [
            (Some("0"), None, "limit"),
            (Some("1001"), None, "limit"),
            (Some("-3"), None, "limit"),
            (None, Some("x"), "after"),
            (None, Some("-1"), "after"),
        ] {
            let e = q(l, a).window().unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            assert_eq!(e.field.as_deref(), Some(name));
        }
    }
}
