//! A document's file (PDF, DOCX or ODT): upload over the API and from the
//! documents page, and download as an attachment.
//!
//! The type a client claims is checked against the file's own bytes, so a
//! file served as a PDF is one; it is served with `nosniff` and as an
//! attachment, so a browser never renders what a party uploaded inside the
//! workspace's origin. The size limit ([`AppState::file_limit`]) is
//! enforced while the body is read, before anything is buffered past it.
//! Access is the document's ([`RoomAccess::document_file`]).

use crate::access::RoomAccess;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::P;
use crate::ui::pages::room_path;
use crate::ui::{urlpart, Session, UiResult};
use crate::AppState;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use pactum_store::{FileMeta, NewFile};
use pactum_workspace::model::Kind;
use serde::Deserialize;
use serde_json::json;

/// The file types a document may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// PDF.
    Pdf,
    /// Office Open XML word-processing document.
    Docx,
    /// OpenDocument text.
    Odt,
}

const ODT_MIME: &[u8] = b"application/vnd.oasis.opendocument.text";

impl FileType {
    const ALL: [FileType; 3] = [FileType::Pdf, FileType::Docx, FileType::Odt];

    /// The content type it is stored and served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Odt => "odt",
        }
    }

    fn what(self) -> &'static str {
        match self {
            FileType::Pdf => "a PDF (which starts with %PDF-)",
            FileType::Docx => {
                "a DOCX document (a ZIP archive holding [Content_Types].xml and word/)"
            }
            FileType::Odt => {
                "an ODT document (a ZIP archive whose first entry is an uncompressed \
                 mimetype of application/vnd.oasis.opendocument.text)"
            }
        }
    }

    /// The type a `Content-Type` names (parameters and case ignored).
    pub fn from_content_type(ct: &str) -> Option<FileType> {
        let ct = ct.split(';').next().unwrap_or_default().trim();
        FileType::ALL
            .into_iter()
            .find(|t| t.content_type().eq_ignore_ascii_case(ct))
    }

    /// The type a file name's extension names.
    fn from_name(name: &str) -> Option<FileType> {
        let ext = name.rsplit_once('.')?.1;
        FileType::ALL
            .into_iter()
            .find(|t| t.extension().eq_ignore_ascii_case(ext))
    }

    /// Whether `bytes` are a file of this type, by their magic bytes and,
    /// for the ZIP-based types, their archive's entries.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            FileType::Pdf => bytes.starts_with(b"%PDF-"),
            FileType::Odt => is_odt(bytes),
            FileType::Docx => is_docx(bytes),
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?)).ok()
}

/// ODF's rule: the first local entry is `mimetype`, stored (method 0), and
/// holds the media type.
fn is_odt(b: &[u8]) -> bool {
    let check = || -> Option<bool> {
        if !b.starts_with(b"PK\x03\x04") || u16_at(b, 8)? != 0 {
            return Some(false);
        }
        let size = u32_at(b, 18)?;
        let name_len = u16_at(b, 26)?;
        let extra_len = u16_at(b, 28)?;
        let name = b.get(30..30 + name_len)?;
        let start = 30 + name_len + extra_len;
        let data = b.get(start..start + size)?;
        Some(name == b"mimetype" && data == ODT_MIME)
    };
    check().unwrap_or(false)
}

/// The names in a ZIP archive's central directory, or `None` when `b` is
/// not a well-formed archive.
fn zip_names(b: &[u8]) -> Option<Vec<&[u8]>> {
    if !b.starts_with(b"PK\x03\x04") || b.len() < 22 {
        return None;
    }
    // The end-of-central-directory record is in the last 22 + 65,535 bytes
    // (its comment is at most 65,535 long); scan back for its signature.
    let lowest = b.len().saturating_sub(22 + 65_535);
    let eocd = (lowest..=b.len() - 22)
        .rev()
        .find(|&i| b[i..].starts_with(b"PK\x05\x06"))?;
    let entries = u16_at(b, eocd + 10)?;
    let mut at = u32_at(b, eocd + 16)?;
    let mut names = Vec::with_capacity(entries);
    for _ in 0..entries {
        if !b.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let name_len = u16_at(b, at + 28)?;
        let extra_len = u16_at(b, at + 30)?;
        let comment_len = u16_at(b, at + 32)?;
        names.push(b.get(at + 46..at + 46 + name_len)?);
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

fn is_docx(b: &[u8]) -> bool {
    zip_names(b).is_some_and(|names| {
        names.iter().any(|n| *n == b"[Content_Types].xml")
            && names.iter().any(|n| n.starts_with(b"word/"))
    })
}

/// Checks an upload: its claimed type (`claimed`, a content type) must be
/// one of [`FileType`]'s and its bytes must be of that type. `field` is the
/// request's name for the file in errors.
pub fn check_file(claimed: Option<&str>, bytes: &[u8], field: &str) -> ApiResult<FileType> {
    let expected = "application/pdf, \
                    application/vnd.openxmlformats-officedocument.wordprocessingml.document \
                    or application/vnd.oasis.opendocument.text";
    let claimed = claimed.map(str::trim).unwrap_or_default();
    let Some(kind) = FileType::from_content_type(claimed) else {
        return Err(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!(
                "content_type: {claimed:?} is not a document type (expected {expected})"
            ),
            field: Some("content_type".into()),
            retry_after: None,
        });
    };
    if bytes.is_empty() {
        return Err(ApiError::field(field, "the file is empty"));
    }
    if !kind.matches(bytes) {
        return Err(ApiError::field(
            field,
            format!(
                "the file claims to be {} but its bytes are not {}",
                kind.content_type(),
                kind.what()
            ),
        ));
    }
    Ok(kind)
}

/// A file name safe to store and to put in a header: the last path
/// segment, without control characters, quotes or backslashes, at most 200
/// characters, ending in the type's extension.
pub fn sanitise_name(given: Option<&str>, kind: FileType, document: &str) -> String {
    let base = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .take(200)
        .collect();
    let clean = clean.trim().trim_matches('.').trim().to_string();
    let mut name = if clean.is_empty() {
        document.to_string()
    } else {
        clean
    };
    if FileType::from_name(&name) != Some(kind) {
        name.push('.');
        name.push_str(kind.extension());
    }
    name
}

/// `Content-Disposition` for a download: an ASCII fallback name and the
/// exact one in RFC 5987 encoding.
pub fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The JSON answer about a stored file.
fn meta_json(m: &FileMeta) -> serde_json::Value {
    json!({
        "document_id": m.record_id,
        "name": m.name,
        "content_type": m.content_type,
        "size": m.size,
        "sha256": m.sha256,
        "uploaded_by": m.uploaded_by,
        "uploaded_at": m.uploaded_at,
        "href": format!("/api/rooms/{}/documents/{}/file", urlpart(m.room.clone()), urlpart(m.record_id.clone())),
    })
}

/// Reads a request body up to `limit` bytes; past it, 413 naming `field`.
async fn read_limited(body: Body, limit: usize, field: &str) -> ApiResult<Vec<u8>> {
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b.to_vec()),
        Err(_) => Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("{field}: larger than this server's limit of {limit} bytes"),
            field: Some(field.into()),
            retry_after: None,
        }),
    }
}

async fn load(state: &AppState, user: &str, room: &str) -> ApiResult<RoomAccess> {
    RoomAccess::load_kinds(state, user, room, Some(&[Kind::Document])).await
}

/// The download: the checked type, as an attachment, never sniffed, never
/// cached by a shared cache.
async fn download(state: &AppState, a: &RoomAccess, id: &str) -> ApiResult<Response> {
    let file = a.document_file(state, id).await?;
    if let Some(doc) = a.room().get(Kind::Document, id) {
        a.audit_reads(state, "read", [doc]).await?;
    }
    let header_value =
        |s: &str| HeaderValue::from_str(s).map_err(|e| ApiError::internal(format!("header: {e}")));
    let mut resp = Response::new(Body::from(file.bytes));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(&file.meta.content_type)?);
    h.insert(
        header::CONTENT_DISPOSITION,
        header_value(&disposition(&file.meta.name))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}

async fn api_download(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
) -> ApiResult<Response> {
    let a = load(&state, &caller.user, &room).await?;
    download(&state, &a, &id).await
}

async fn page_download(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id)): P<(String, String)>,
) -> UiResult {
    let a = load(&state, &caller.user, &room).await?;
    Ok(download(&state, &a, &id).await?)
}

#[derive(Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: Option<String>,
}

/// `PUT`/`POST` the raw bytes with their `Content-Type`; `?name=` names
/// the file. Who may attach is checked before the body is read.
async fn api_upload(
    State(state): State<AppState>,
    caller: Caller,
    P((room, id)): P<(String, String)>,
    Query(q): Query<NameQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let a = load(&state, &caller.user, &room).await?;
    a.may_attach(&id)?;
    let bytes = read_limited(body, state.file_limit, "file").await?;
    let claimed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let kind = check_file(claimed, &bytes, "file")?;
    let file = NewFile {
        name: sanitise_name(q.name.as_deref(), kind, &id),
        record_id: id,
        content_type: kind.content_type().to_string(),
        bytes,
    };
    let meta = a.attach_file(&state, &file).await?;
    Ok((StatusCode::CREATED, Json(meta_json(&meta))).into_response())
}

/// The documents page's upload form (multipart: `_csrf` and `file`).
async fn page_upload(
    State(state): State<AppState>,
    Session(caller): Session,
    P((room, id)): P<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> UiResult {
    // The form's other fields and the multipart framing need a little
    // room beyond the file itself.
    let raw = read_limited(body, state.file_limit + 64 * 1024, "file").await?;
    let parts = crate::import::multipart_parts(&headers, &raw)?;
    let token = parts
        .iter()
        .find(|p| p.name == "_csrf")
        .map(|p| String::from_utf8_lossy(&p.content).into_owned());
    caller.check_csrf(token.as_deref())?;
    let a = load(&state, &caller.user, &room).await?;
    a.may_attach(&id)?;
    let part = parts
        .into_iter()
        .find(|p| p.name == "file" && !p.content.is_empty())
        .ok_or_else(|| ApiError::field("file", "choose a PDF, DOCX or ODT file"))?;
    if part.content.len() > state.file_limit {
        return Err(
            read_limited(Body::from(part.content), state.file_limit, "file")
                .await
                .err()
                .unwrap_or_else(|| ApiError::field("file", "too large"))
                .into(),
        );
    }
    // Browsers send the type they guess from the extension, or none: the
    // name's extension stands in for a missing or generic claim.
    let claimed = part
        .content_type
        .as_deref()
        .filter(|ct| FileType::from_content_type(ct).is_some())
        .map(str::to_string)
        .or_else(|| {
            part.filename
                .as_deref()
                .and_then(FileType::from_name)
                .map(|t| t.content_type().to_string())
        })
        .or(part.content_type.clone());
    let kind = check_file(claimed.as_deref(), &part.content, "file")?;
    let file = NewFile {
        name: sanitise_name(part.filename.as_deref(), kind, &id),
        record_id: id.clone(),
        content_type: kind.content_type().to_string(),
        bytes: part.content,
    };
    a.attach_file(&state, &file).await?;
    Ok(Redirect::to(&room_path(
        &room,
        &format!("/documents?done=file#doc-{}", urlpart(id)),
    ))
    .into_response())
}

/// The file routes. Their bodies are limited by [`AppState::file_limit`]
/// as they are read, instead of by the router's default limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/rooms/{room}/documents/{id}/file",
            get(api_download).put(api_upload).post(api_upload),
        )
        .route(
            "/rooms/{room}/documents/{id}/file",
            get(page_download).post(page_upload),
        )
        .layer(DefaultBodyLimit::disable())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored ZIP of `entries` (method 0), enough for the checks.
    pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let mut local = b"PK\x03\x04".to_vec();
            local.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            local.extend_from_slice(&0u32.to_le_bytes()); // crc (unchecked)
            local.extend_from_slice(&(data.len() as u32).to_le_bytes());
            local.extend_from_slice(&(data.len() as u32).to_le_bytes());
            local.extend_from_slice(&(name.len() as u16).to_le_bytes());
            local.extend_from_slice(&0u16.to_le_bytes());
            local.extend_from_slice(name.as_bytes());
            local.extend_from_slice(data);
            out.extend_from_slice(&local);
            let mut c = b"PK\x01\x02".to_vec();
            c.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            c.extend_from_slice(&0u32.to_le_bytes());
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(&(name.len() as u16).to_le_bytes());
            c.extend_from_slice(&[0; 12]);
            c.extend_from_slice(&offset.to_le_bytes());
            c.extend_from_slice(name.as_bytes());
            central.extend_from_slice(&c);
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn types_are_told_by_their_bytes() {
        let odt = zip(&[("mimetype", ODT_MIME), ("content.xml", b"<x/>")]);
        let docx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w/>"),
        ]);
        assert!(FileType::Pdf.matches(b"%PDF-1.7\n"));
        assert!(!FileType::Pdf.matches(b"PK\x03\x04"));
        assert!(FileType::Odt.matches(&odt));
        assert!(!FileType::Docx.matches(&odt));
        assert!(FileType::Docx.matches(&docx));
        assert!(!FileType::Odt.matches(&docx));
        assert!(!FileType::Docx.matches(b"PK\x03\x04 truncated"));
        let e = check_file(Some("application/pdf"), &docx, "file").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("file"));
        assert!(e.message.contains("not a PDF"), "{}", e.message);
        let e = check_file(Some("text/html"), b"%PDF-", "file").unwrap_err();
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn names_are_sanitised_and_encoded() {
        assert_eq!(
            sanitise_name(Some("../../etc/pass\"wd"), FileType::Pdf, "doc_1"),
            "passwd.pdf"
        );
        assert_eq!(sanitise_name(None, FileType::Odt, "doc_1"), "doc_1.odt");
        assert_eq!(
            sanitise_name(Some("Accord é.PDF"), FileType::Pdf, "d"),
            "Accord é.PDF"
        );
        assert_eq!(
            disposition("Accord é.pdf"),
            "attachment; filename=\"Accord _.pdf\"; filename*=UTF-8''Accord%20%C3%A9.pdf"
        );
    }
}
