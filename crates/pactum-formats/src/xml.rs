//! A small element tree over quick-xml that remembers line numbers, so that
//! every later error can say where in the file the problem is.
//!
//! Names and attribute values borrow from the file's text (only values with
//! entities are decoded into new strings): reading a scenario then costs a
//! few allocations per element, not two per attribute.

use crate::error::{ErrorKind, FormatError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::path::Path;

/// An XML element with its attributes, children and starting line.
#[derive(Debug, Clone)]
pub struct Element<'t> {
    /// Tag name.
    pub name: Cow<'t, str>,
    /// Attributes in document order, entity-decoded.
    pub attrs: Vec<(Cow<'t, str>, Cow<'t, str>)>,
    /// Child elements in document order.
    pub children: Vec<Element<'t>>,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl<'t> Element<'t> {
    /// The value of attribute `key`, if present.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Child elements named `name`.
    pub fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element<'t>> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element<'t>> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Counts lines incrementally as the reader advances.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos >= self.pos {
            self.line += self.text[self.pos..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        } else {
            self.line = 1 + self.text[..pos].iter().filter(|&&b| b == b'\n').count();
        }
        self.pos = pos;
        self.line
    }
}

/// Parses `text` (the contents of `file`) into its root element.
pub fn parse<'t>(file: &Path, text: &'t str) -> Result<Element<'t>, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut lines = Lines {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut stack: Vec<Element<'t>> = Vec::new();
    let mut root: Option<Element<'t>> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event();
        let err_line = |lines: &mut Lines| lines.at(reader.buffer_position() as usize);
        match event {
            Err(e) => {
                let line = err_line(&mut lines);
                return Err(FormatError::at(file, line, ErrorKind::Xml(e.to_string())));
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(s)) => {
                let line = lines.at(before + leading_ws(&text.as_bytes()[before..]));
                stack.push(element(file, text, line, &s)?);
            }
            Ok(Event::Empty(s)) => {
                let line = lines.at(before + leading_ws(&text.as_bytes()[before..]));
                let el = element(file, text, line, &s)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => set_root(file, &mut root, el)?,
                }
            }
            Ok(Event::End(_)) => {
                let Some(el) = stack.pop() else {
                    let line = err_line(&mut lines);
                    return Err(FormatError::at(
                        file,
                        line,
                        ErrorKind::Xml("unexpected end tag".into()),
                    ));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => set_root(file, &mut root, el)?,
                }
            }
            Ok(_) => {}
        }
    }
    if let Some(open) = stack.pop() {
        return Err(FormatError::at(
            file,
            open.line,
            ErrorKind::Xml(format!(
                "element <{}> is never closed (file truncated?)",
                open.name
            )),
        ));
    }
    root.ok_or_else(|| FormatError::file(file, ErrorKind::Xml("no root element".into())))
}

fn leading_ws(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_whitespace()).count()
}

fn set_root<'t>(
    file: &Path,
    root: &mut Option<Element<'t>>,
    el: Element<'t>,
) -> Result<(), FormatError> {
    if root.is_some() {
        return Err(FormatError::at(
            file,
            el.line,
            ErrorKind::Xml(format!("a second root element <{}>", el.name)),
        ));
    }
    *root = Some(el);
    Ok(())
}

/// `bytes` as a slice of `text`, when it points into it (events of a reader
/// over a `&str` borrow from that string).
fn within<'t>(text: &'t str, bytes: &[u8]) -> Option<&'t str> {
    let base = text.as_ptr() as usize;
    let start = bytes.as_ptr() as usize;
    if start < base || start + bytes.len() > base + text.len() {
        return None;
    }
    text.get(start - base..start - base + bytes.len())
}

fn borrowed<'t>(text: &'t str, bytes: &[u8]) -> Cow<'t, str> {
    match within(text, bytes) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

fn element<'t>(
    file: &Path,
    text: &'t str,
    line: usize,
    s: &BytesStart,
) -> Result<Element<'t>, FormatError> {
    let name = borrowed(text, s.name().as_ref());
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| FormatError::at(file, line, ErrorKind::Xml(e.to_string())))?;
        let key = borrowed(text, a.key.as_ref());
        let value = if a.value.contains(&b'&') {
            Cow::Owned(
                a.unescape_value()
                    .map_err(|e| FormatError::at(file, line, ErrorKind::Xml(e.to_string())))?
                    .into_owned(),
            )
        } else {
            match std::str::from_utf8(&a.value) {
                Ok(_) => borrowed(text, &a.value),
                Err(_) => {
                    return Err(FormatError::at(file, line, ErrorKind::Encoding));
                }
            }
        };
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_lines() {
        let t = "<a>\n  <b x=\"1\"/>\n  <c>\n  </c>\n</a>";
        let root = parse(Path::new("t.xml"), t).unwrap();
        assert_eq!(root.line, 1);
        assert_eq!(root.children[0].line, 2);
        assert_eq!(root.children[1].line, 3);
        assert_eq!(root.children[0].attr("x"), Some("1"));
    }

    #[test]
    fn truncated_input_names_the_open_element() {
        let e = parse(Path::new("t.xml"), "<a>\n<b>\n").unwrap_err();
        assert!(e.to_string().contains("t.xml"), "{e}");
    }
}
