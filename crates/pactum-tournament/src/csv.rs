//! The results file's encodings, byte for byte those of NegMAS's harness
//! (`tournament.py`, Python's `csv` module with its defaults): `\r\n` line
//! ends, fields quoted only when they hold a comma, a quote or a line break,
//! floats as Python's `repr`, outcomes as `json.dumps` of a list.
//!
//! Matching Python exactly is what lets a pactum file and a NegMAS file be
//! compared with `diff`, and keeps pactum's own files byte-identical across
//! machines and thread counts.

use std::io::BufRead;

use pactum_core::Value;

/// The columns, in order: the harness's without its timing column.
pub const COLUMNS: [&str; 14] = [
    "run",
    "rep",
    "scenario",
    "rotation",
    "first",
    "second",
    "first_profile",
    "second_profile",
    "agreement",
    "outcome",
    "first_utility",
    "second_utility",
    "steps",
    "end",
];

/// Python's `csv` writer ends every row with this.
pub const LINE_END: &str = "\r\n";

/// The header line, with its line end.
pub fn header() -> String {
    let mut s = COLUMNS.join(",");
    s.push_str(LINE_END);
    s
}

/// A float as Python's `repr` writes it (shortest round-trip digits;
/// exponent form below 1e-4 and from 1e16 on; `inf`, `-inf`, `nan` as the
/// harness spells them).
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !(-5 < exp && exp < 16) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    if exp >= 0 {
        let point = exp as usize + 1;
        if digits.len() <= point {
            let zeros = "0".repeat(point - digits.len());
            format!("{sign}{digits}{zeros}.0")
        } else {
            format!("{sign}{}.{}", &digits[..point], &digits[point..])
        }
    } else {
        let zeros = "0".repeat((-exp - 1) as usize);
        format!("{sign}0.{zeros}{digits}")
    }
}

/// A string as Python's `json.dumps` writes it (`ensure_ascii`: everything
/// outside printable ASCII escaped, astral characters as surrogate pairs).
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// An outcome as the harness's `json.dumps(list)`: `[v1, v2, ...]`.
pub fn outcome_json(values: &[Value]) -> String {
    let mut out = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match v {
            Value::Text(s) => json_string(s, &mut out),
            Value::Integer(n) => out.push_str(&n.to_string()),
            Value::Real(x) if x.is_finite() => out.push_str(&py_float(*x)),
            Value::Real(x) if x.is_nan() => out.push_str("NaN"),
            Value::Real(x) => out.push_str(if *x > 0.0 { "Infinity" } else { "-Infinity" }),
        }
    }
    out.push(']');
    out
}

/// Appends a field, quoted (quotes doubled) only where Python's minimal
/// quoting would.
pub fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// One row of a results file, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The raw bytes of the row, line end included, to copy it unchanged.
    pub raw: String,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

impl Record {
    /// The `run` column (the first), if it is a number.
    pub fn run(&self) -> Option<u64> {
        self.fields.first()?.parse().ok()
    }
}

/// Reads the next complete record. `Ok(None)` at the end of the input;
/// `Err(partial)` when the input ends inside a record (a row cut short by
/// an interrupted run), with the bytes read.
pub fn read_record(reader: &mut impl BufRead) -> std::io::Result<Result<Option<Record>, String>> {
    let mut raw = String::new();
    loop {
        let n = reader.read_line(&mut raw)?;
        if n == 0 {
            return Ok(if raw.is_empty() { Ok(None) } else { Err(raw) });
        }
        // A record is complete when its quotes balance and it ends in \r\n.
        let quotes = raw.bytes().filter(|&b| b == b'"').count();
        if quotes % 2 == 0 && raw.ends_with(LINE_END) {
            let fields = split(&raw[..raw.len() - LINE_END.len()]);
            return Ok(Ok(Some(Record { raw, fields })));
        }
        if quotes % 2 == 0 && raw.ends_with('\n') {
            // A bare \n outside quotes: not a line this writer made.
            return Ok(Err(raw));
        }
    }
}

/// Splits one record (without its line end) into unquoted fields.
pub fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parses a float as [`py_float`] writes it.
pub fn parse_py_float(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.6936378819329088, "0.6936378819329088"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (1e15, "1000000000000000.0"),
            (123.25, "123.25"),
            (-2.5, "-2.5"),
            (1e100, "1e+100"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float(x), want, "{x:?}");
            assert_eq!(parse_py_float(want).unwrap().to_bits(), x.to_bits());
        }
    }

    #[test]
    fn outcomes_as_json_dumps() {
        let v = vec![
            Value::Text("$3.71".into()),
            Value::Integer(-3),
            Value::Real(0.5),
            Value::Text("café \"x\" 😀".into()),
        ];
        assert_eq!(
            outcome_json(&v),
            r#"["$3.71", -3, 0.5, "caf\u00e9 \"x\" \ud83d\ude00"]"#
        );
    }

    #[test]
    fn fields_round_trip_through_quoting() {
        let mut line = String::new();
        push_field(&mut line, r#"["a, b", "c"]"#);
        line.push(',');
        push_field(&mut line, "plain");
        assert_eq!(line, r#""[""a, b"", ""c""]",plain"#);
        assert_eq!(split(&line), vec![r#"["a, b", "c"]"#, "plain"]);
    }

    #[test]
    fn a_cut_row_is_reported_not_parsed() {
        let mut r = std::io::Cursor::new("1,2\r\n3,\"4");
        assert_eq!(
            read_record(&mut r).unwrap().unwrap().unwrap().fields,
            ["1", "2"]
        );
        assert_eq!(read_record(&mut r).unwrap(), Err("3,\"4".to_string()));
    }
}
