//! A small XML reader that builds a flat, line-numbered element tree, so that
//! every later error can say where in the file the problem is.
//!
//! Written for pactum rather than taken from a general XML crate because a
//! scenario is loaded in a freshly started process whose whole budget is tens
//! of microseconds: one pass over the bytes, two allocations per file (the
//! node and attribute arrays), names and values borrowed from the text (only
//! values with entity references are decoded into new strings), and little
//! code to bring into the caches. Text content is skipped; comments,
//! processing instructions, CDATA sections and a document type declaration
//! are recognised and skipped. The checks that matter for a reader of
//! configuration files are made: tags balance, end tags match, attributes are
//! `name="value"` or `name='value'`, appear once per element, and use known
//! entity references.

use crate::error::{ErrorKind, FormatError};
use std::borrow::Cow;
use std::path::Path;

/// "No node": the end of a sibling or child list.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node<'t> {
    name: &'t str,
    line: u32,
    attrs: (u32, u32),
    first_child: u32,
    next_sibling: u32,
}

/// A parsed file: its elements in document order, the first one the root.
#[derive(Debug, Clone)]
pub struct Document<'t> {
    nodes: Vec<Node<'t>>,
    attrs: Vec<(&'t str, Cow<'t, str>)>,
}

/// One element of a [`Document`]: its name, attributes, children and line.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a, 't> {
    doc: &'a Document<'t>,
    index: u32,
}

impl<'t> Document<'t> {
    /// The root element.
    pub fn root(&self) -> Element<'_, 't> {
        Element {
            doc: self,
            index: 0,
        }
    }
}

impl<'a, 't> Element<'a, 't> {
    fn node(&self) -> &'a Node<'t> {
        &self.doc.nodes[self.index as usize]
    }

    /// Tag name.
    pub fn name(&self) -> &'t str {
        self.node().name
    }

    /// 1-based line of the start tag.
    pub fn line(&self) -> usize {
        self.node().line as usize
    }

    /// The value of attribute `key`, if present (entity references decoded).
    pub fn attr(&self, key: &str) -> Option<&'a str> {
        let (a, b) = self.node().attrs;
        self.doc.attrs[a as usize..b as usize]
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Child elements in document order.
    pub fn children(&self) -> Children<'a, 't> {
        Children {
            doc: self.doc,
            next: self.node().first_child,
        }
    }

    /// Child elements named `name`.
    pub fn children_named<'n>(
        &self,
        name: &'n str,
    ) -> impl Iterator<Item = Element<'a, 't>> + use<'a, 't, 'n> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<Element<'a, 't>> {
        self.children().find(|c| c.name() == name)
    }
}

/// Iterator over an element's children.
#[derive(Debug, Clone)]
pub struct Children<'a, 't> {
    doc: &'a Document<'t>,
    next: u32,
}

impl<'a, 't> Iterator for Children<'a, 't> {
    type Item = Element<'a, 't>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == NONE {
            return None;
        }
        let e = Element {
            doc: self.doc,
            index: self.next,
        };
        self.next = self.doc.nodes[self.next as usize].next_sibling;
        Some(e)
    }
}

/// Where the scan is, with the line number kept up to date lazily.
struct Scanner<'t, 'f> {
    file: &'f Path,
    text: &'t str,
    pos: usize,
    counted: usize,
    line: usize,
}

impl<'t> Scanner<'t, '_> {
    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    /// The line of byte `pos` (at or after the last position asked about).
    fn line_at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos >= self.counted {
            self.line += newlines(&self.bytes()[self.counted..pos]);
        } else {
            self.line = 1 + newlines(&self.bytes()[..pos]);
        }
        self.counted = pos;
        self.line
    }

    fn error(&mut self, pos: usize, msg: impl Into<String>) -> FormatError {
        let line = self.line_at(pos);
        FormatError::at(self.file, line, ErrorKind::Xml(msg.into()))
    }

    fn skip_ws(&mut self) {
        while self
            .bytes()
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// Moves past the next occurrence of `end`, or fails with `what`.
    fn skip_past(&mut self, end: &str, what: &str) -> Result<(), FormatError> {
        match find(&self.bytes()[self.pos..], end.as_bytes()) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => {
                let at = self.pos;
                Err(self.error(at, format!("{what} is never closed (file truncated?)")))
            }
        }
    }

    /// A name: everything up to whitespace, `/`, `>`, `=` or a quote.
    fn name(&mut self) -> &'t str {
        let start = self.pos;
        while self
            .bytes()
            .get(self.pos)
            .is_some_and(|&b| !(b.is_ascii_whitespace() || b"/>=\"'<".contains(&b)))
        {
            self.pos += 1;
        }
        // Delimiters are ASCII, so both ends are character boundaries.
        self.text.get(start..self.pos).unwrap_or_default()
    }
}

fn newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if hay.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Parses `text` (the contents of `file`) into a document.
pub fn parse<'t>(file: &Path, text: &'t str) -> Result<Document<'t>, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut s = Scanner {
        file,
        text,
        pos: 0,
        counted: 0,
        line: 1,
    };
    // GENIUS files hold about one element per 50 to 90 bytes and one
    // attribute per 18 to 22; sizing the arrays up front avoids regrowing.
    let mut doc = Document {
        nodes: Vec::with_capacity(text.len() / 50 + 1),
        attrs: Vec::with_capacity(text.len() / 16 + 1),
    };
    // Open elements: (node, its last child so far).
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut rooted = false;
    while let Some(lt) = s.bytes()[s.pos..].iter().position(|&b| b == b'<') {
        let start = s.pos + lt;
        s.pos = start + 1;
        let rest = &s.bytes()[s.pos..];
        if rest.starts_with(b"?") {
            s.skip_past("?>", "a processing instruction")?;
        } else if rest.starts_with(b"!--") {
            s.skip_past("-->", "a comment")?;
        } else if rest.starts_with(b"![CDATA[") {
            if stack.is_empty() {
                return Err(s.error(start, "CDATA outside the root element"));
            }
            s.skip_past("]]>", "a CDATA section")?;
        } else if rest.starts_with(b"!DOCTYPE") {
            skip_doctype(&mut s, start)?;
        } else if rest.starts_with(b"!") {
            return Err(s.error(start, "unknown markup after `<!`"));
        } else if rest.starts_with(b"/") {
            s.pos += 1;
            let name = s.name();
            s.skip_ws();
            if s.bytes().get(s.pos) != Some(&b'>') {
                return Err(s.error(start, format!("end tag </{name}> is not closed by `>`")));
            }
            s.pos += 1;
            let Some((open, _)) = stack.pop() else {
                return Err(s.error(start, format!("unexpected end tag </{name}>")));
            };
            let expected = doc.nodes[open as usize].name;
            if name != expected {
                return Err(s.error(
                    start,
                    format!("end tag </{name}> does not match the open element <{expected}>"),
                ));
            }
        } else {
            let line = s.line_at(start);
            let name = s.name();
            if name.is_empty() {
                return Err(s.error(start, "`<` not followed by an element name"));
            }
            let first_attr = doc.attrs.len();
            let empty = attributes(&mut s, &mut doc, name, start)?;
            let index = u32::try_from(doc.nodes.len())
                .ok()
                .filter(|&i| i != NONE)
                .ok_or_else(|| s.error(start, "too many elements"))?;
            doc.nodes.push(Node {
                name,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                attrs: (first_attr as u32, doc.attrs.len() as u32),
                first_child: NONE,
                next_sibling: NONE,
            });
            match stack.last_mut() {
                Some((parent, last)) => {
                    if *last == NONE {
                        doc.nodes[*parent as usize].first_child = index;
                    } else {
                        doc.nodes[*last as usize].next_sibling = index;
                    }
                    *last = index;
                }
                None if rooted => {
                    return Err(s.error(start, format!("a second root element <{name}>")));
                }
                None => rooted = true,
            }
            if !empty {
                stack.push((index, NONE));
            }
        }
    }
    if let Some(&(open, _)) = stack.last() {
        let n = &doc.nodes[open as usize];
        return Err(FormatError::at(
            file,
            n.line as usize,
            ErrorKind::Xml(format!(
                "element <{}> is never closed (file truncated?)",
                n.name
            )),
        ));
    }
    if !rooted {
        return Err(FormatError::file(
            file,
            ErrorKind::Xml("no root element".into()),
        ));
    }
    Ok(doc)
}

/// `<!DOCTYPE ...>`, with an internal subset in brackets if any.
fn skip_doctype(s: &mut Scanner, start: usize) -> Result<(), FormatError> {
    let mut depth = 0usize;
    let mut quote = None;
    while let Some(&b) = s.bytes().get(s.pos) {
        s.pos += 1;
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'[') => depth += 1,
            (None, b']') => depth = depth.saturating_sub(1),
            (None, b'>') if depth == 0 => return Ok(()),
            _ => {}
        }
    }
    Err(s.error(start, "the document type declaration is never closed"))
}

/// Reads the attributes of a start tag up to its `>` or `/>`; returns
/// whether the element is empty (`/>`).
fn attributes<'t>(
    s: &mut Scanner<'t, '_>,
    doc: &mut Document<'t>,
    element: &str,
    start: usize,
) -> Result<bool, FormatError> {
    let first = doc.attrs.len();
    loop {
        let ws = s.pos;
        s.skip_ws();
        match s.bytes().get(s.pos) {
            None => {
                return Err(s.error(
                    start,
                    format!("start tag <{element}> is never closed (file truncated?)"),
                ))
            }
            Some(b'>') => {
                s.pos += 1;
                return Ok(false);
            }
            Some(b'/') => {
                if s.bytes().get(s.pos + 1) == Some(&b'>') {
                    s.pos += 2;
                    return Ok(true);
                }
                let at = s.pos;
                return Err(s.error(at, format!("stray `/` in start tag <{element}>")));
            }
            Some(_) => {}
        }
        let at = s.pos;
        if at == ws {
            return Err(s.error(
                at,
                format!("attributes of <{element}> must be separated by whitespace"),
            ));
        }
        let key = s.name();
        if key.is_empty() {
            return Err(s.error(at, format!("unexpected character in start tag <{element}>")));
        }
        s.skip_ws();
        if s.bytes().get(s.pos) != Some(&b'=') {
            return Err(s.error(
                at,
                format!("attribute `{key}` of <{element}> has no `=\"value\"`"),
            ));
        }
        s.pos += 1;
        s.skip_ws();
        let quote = match s.bytes().get(s.pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return Err(s.error(
                    at,
                    format!("the value of attribute `{key}` of <{element}> is not quoted"),
                ))
            }
        };
        s.pos += 1;
        let Some(len) = s.bytes()[s.pos..].iter().position(|&b| b == quote) else {
            return Err(s.error(
                at,
                format!("the value of attribute `{key}` of <{element}> is never closed"),
            ));
        };
        let raw = s.text.get(s.pos..s.pos + len).unwrap_or_default();
        s.pos += len + 1;
        if raw.contains('<') {
            return Err(s.error(
                at,
                format!("the value of attribute `{key}` of <{element}> contains `<`"),
            ));
        }
        let value = if raw.contains('&') {
            match unescape(raw) {
                Ok(v) => Cow::Owned(v),
                Err(msg) => {
                    return Err(s.error(at, format!("attribute `{key}` of <{element}>: {msg}")))
                }
            }
        } else {
            Cow::Borrowed(raw)
        };
        if doc.attrs[first..].iter().any(|(k, _)| *k == key) {
            return Err(s.error(
                at,
                format!("attribute `{key}` appears twice in <{element}>"),
            ));
        }
        doc.attrs.push((key, value));
    }
}

/// Replaces entity and character references.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp + 1..];
        let Some(semi) = rest.find(';') else {
            return Err("`&` does not start an entity reference (write `&amp;`)".into());
        };
        let name = &rest[..semi];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity reference `&{name};`"))?
            }
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_name(t: &str) -> Result<String, String> {
        parse(Path::new("t.xml"), t)
            .map(|d| d.root().name().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn remembers_lines() {
        let t = "<a>\n  <b x=\"1\"/>\n  <c>\n  </c>\n</a>";
        let doc = parse(Path::new("t.xml"), t).unwrap();
        let root = doc.root();
        let kids: Vec<_> = root.children().collect();
        assert_eq!(root.line(), 1);
        assert_eq!(kids[0].line(), 2);
        assert_eq!(kids[1].line(), 3);
        assert_eq!(kids[0].attr("x"), Some("1"));
        assert_eq!(root.child("c").map(|c| c.name()), Some("c"));
    }

    #[test]
    fn truncated_input_names_the_open_element() {
        let e = parse(Path::new("t.xml"), "<a>\n<b>\n").unwrap_err();
        assert!(e.to_string().contains("t.xml:2:"), "{e}");
        assert!(e.to_string().contains("never closed"), "{e}");
    }

    #[test]
    fn markup_other_than_elements_is_skipped() {
        let t = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<!-- c <b> -->\n\
                 <a k='v &amp; &#65;&#x42;'>text<![CDATA[<z>]]><b/></a>\n";
        let doc = parse(Path::new("t.xml"), t).unwrap();
        let root = doc.root();
        assert_eq!(root.attr("k"), Some("v & AB"));
        assert_eq!(root.line(), 4);
        assert_eq!(root.children().count(), 1);
    }

    proptest::proptest! {
        /// Any text, and any cut or splice of a real-looking file, parses or
        /// fails with an error; it never panics.
        #[test]
        fn never_panics(
            junk in "[<>/=\"'&;!?\\[\\]a-z#x0-9 \n-]{0,80}",
            cut in 0usize..200,
        ) {
            let _ = parse(Path::new("t.xml"), &junk);
            let good = "<a k=\"v\">\n<!-- c --><b x='1' y=\"&amp;\"/><c><![CDATA[z]]></c></a>";
            let mut spliced = good[..cut.min(good.len())].to_string();
            spliced.push_str(&junk);
            let _ = parse(Path::new("t.xml"), &spliced);
        }
    }

    #[test]
    fn malformed_input_is_an_error_with_a_line() {
        for bad in [
            "<a></b>",
            "<a>\n</a>\n<b/>",
            "</a>",
            "<a x=1/>",
            "<a x=\"1\" x=\"2\"/>",
            "<a x=\"&bogus;\"/>",
            "<a x=\"1\"y=\"2\"/>",
            "<a x=\"1/>",
            "<a",
            "<a><!-- never",
            "< a/>",
            "",
            "text only",
            "<a x=\"<\"/>",
            "<a/ >",
        ] {
            let e = root_name(bad).unwrap_err();
            assert!(e.starts_with("t.xml"), "{bad:?}: {e}");
        }
    }
}
