//! What an uploaded file is described by: a display name, a MIME type, a size and, for images,
//! the dimensions the client measured. None of them ever becomes part of a storage key.

use super::Invalid;

/// The longest stored file name, in bytes (the seed's `fileName` limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;
/// The longest name a request may send before it is cut down.
pub const MAX_RAW_FILE_NAME_BYTES: usize = 1024;
/// The largest width or height accepted (pixels).
pub const MAX_DIMENSION: i32 = 100_000;

/// A file's name as people see it: the last segment of whatever path the client sent, one line of
/// text without control characters or the characters that break a `Content-Disposition` header,
/// at most 255 bytes (cut at a character boundary, keeping the extension when it is short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("invalid_file_name", "fileName must name a file: 1-1024 bytes of text");
        if raw.len() > MAX_RAW_FILE_NAME_BYTES {
            return Err(invalid());
        }
        let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
        let cleaned: String = last
            .chars()
            .map(|c| if c.is_control() || matches!(c, '"' | '<' | '>' | '\u{2028}' | '\u{2029}') { '_' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
        if cleaned.is_empty() || cleaned.chars().all(|c| c == '_') {
            return Err(invalid());
        }
        Ok(Self(shorten(cleaned, MAX_FILE_NAME_BYTES)))
    }

    /// A name already stored (written by [`FileName::parse`]).
    pub fn stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as `Content-Disposition` wants it: an ASCII fallback and the UTF-8 form (RFC 6266,
    /// RFC 5987), e.g. `attachment; filename="a_b.pdf"; filename*=UTF-8''a%C3%A9b.pdf`.
    pub fn disposition(&self, kind: &str) -> String {
        let ascii: String =
            self.0.chars().map(|c| if c.is_ascii_graphic() && c != '\\' || c == ' ' { c } else { '_' }).collect();
        let encoded: String = self
            .0
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

/// `name` cut to at most `max` bytes at a character boundary, keeping an extension of up to 16
/// bytes so the file still opens with the right program.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let extension = name.rfind('.').map(|dot| &name[dot..]).filter(|ext| ext.len() <= 16).unwrap_or("");
    let mut stem_end = max - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

/// A MIME type, lowercased, without parameters (`text/plain; charset=utf-8` → `text/plain`): the
/// exact value a presigned PUT signs and the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(String);

impl ContentType {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let essence = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
        };
        match essence.split_once('/') {
            Some((major, minor)) if token(major) && token(minor) => Ok(Self(essence)),
            _ => Err(Invalid::new("invalid_content_type", "contentType must be a MIME type such as image/png")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Images a browser shows without running anything: only these are served inline. SVG is
    /// not among them (it carries script), nor is anything a browser would render as a page.
    pub fn is_safe_inline_image(&self) -> bool {
        matches!(self.0.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp")
    }
}

/// A declared size in bytes, at least 1 and at most the deployment's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSize(u64);

/// Why a size was refused: not a size at all (422), or over the limit (413).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeProblem {
    Invalid(Invalid),
    TooLarge { limit: u64 },
}

impl FileSize {
    pub fn parse(raw: Option<i64>, limit: u64) -> Result<Self, SizeProblem> {
        match raw {
            Some(size) if size >= 1 && size as u64 > limit => Err(SizeProblem::TooLarge { limit }),
            Some(size) if size >= 1 => Ok(Self(size as u64)),
            _ => Err(SizeProblem::Invalid(Invalid::new(
                "invalid_file_size",
                "size must be a whole number of bytes, 1 or more",
            ))),
        }
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

/// An image's width and height as the sender's client measured them (both or neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dimensions {
    pub width: Option<i32>,
    pub height: Option<i32>,
}

impl Dimensions {
    pub fn parse(width: Option<i64>, height: Option<i64>) -> Result<Self, Invalid> {
        let one = |value: Option<i64>| match value {
            None => Ok(None),
            Some(v) if (1..=i64::from(MAX_DIMENSION)).contains(&v) => Ok(Some(v as i32)),
            Some(_) => {
                Err(Invalid::new("invalid_dimensions", format!("width and height must be 1-{MAX_DIMENSION} pixels")))
            }
        };
        let (width, height) = (one(width)?, one(height)?);
        if width.is_some() != height.is_some() {
            return Err(Invalid::new("invalid_dimensions", "send both width and height, or neither"));
        }
        Ok(Self { width, height })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> String {
        FileName::parse(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn a_file_name_keeps_its_last_segment_as_one_line_of_safe_text() {
        assert_eq!(name("photo.png"), "photo.png");
        assert_eq!(name("../../etc/passwd"), "passwd");
        assert_eq!(name("C:\\Users\\me\\report final.pdf"), "report final.pdf");
        assert_eq!(name("a\nb\tc.txt"), "a_b_c.txt");
        assert_eq!(name("  spaced   out  .txt "), "spaced out .txt");
        assert_eq!(name("\"quoted\" <b>.html"), "_quoted_ _b_.html");
        assert_eq!(name("..hidden"), "hidden");
        for bad in ["", "   ", "dir/", "..", "\u{0}", &"a".repeat(MAX_RAW_FILE_NAME_BYTES + 1)] {
            assert_eq!(FileName::parse(bad).unwrap_err().code, "invalid_file_name", "{bad:?}");
        }
    }

    #[test]
    fn a_long_file_name_is_cut_to_255_bytes_keeping_its_extension() {
        let long = format!("{}.jpeg", "é".repeat(300));
        let cut = name(&long);
        assert!(cut.len() <= MAX_FILE_NAME_BYTES && cut.len() >= MAX_FILE_NAME_BYTES - 1, "{}", cut.len());
        assert!(cut.ends_with(".jpeg"));
        // A cut inside a two-byte character moves back to its start.
        let odd = name(&format!("{}.jpg", "é".repeat(300)));
        assert_eq!((odd.len(), odd.ends_with("é.jpg")), (254, true));
        assert_eq!(name(&"b".repeat(MAX_RAW_FILE_NAME_BYTES)).len(), 255, "1024 bytes may be sent");
        assert_eq!(name(&"b".repeat(255)).len(), 255);
        assert_eq!(name(&"b".repeat(256)).len(), 255);
    }

    #[test]
    fn the_disposition_header_carries_an_ascii_and_an_encoded_name() {
        let file = FileName::parse("résumé \"x\".pdf").unwrap();
        assert_eq!(
            file.disposition("attachment"),
            "attachment; filename=\"r_sum_ _x_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20_x_.pdf"
        );
    }

    #[test]
    fn content_types_are_lowercased_without_parameters() {
        assert_eq!(ContentType::parse("Text/Plain; charset=UTF-8").unwrap().as_str(), "text/plain");
        assert_eq!(ContentType::parse("application/vnd.ms-excel").unwrap().as_str(), "application/vnd.ms-excel");
        for bad in ["", "image", "image/", "/png", "a b/c", "image/png\r\nX: y", "ïmage/png"] {
            assert_eq!(ContentType::parse(bad).unwrap_err().code, "invalid_content_type", "{bad:?}");
        }
        let inline = |t: &str| ContentType::parse(t).unwrap().is_safe_inline_image();
        assert!(inline("image/png") && inline("image/jpeg") && inline("image/gif") && inline("image/webp"));
        assert!(
            !inline("image/svg+xml") && !inline("text/html") && !inline("application/pdf") && !inline("image/avif")
        );
    }

    #[test]
    fn sizes_are_at_least_one_byte_and_at_most_the_limit() {
        assert_eq!(FileSize::parse(Some(10), 10).unwrap().bytes(), 10);
        assert_eq!(FileSize::parse(Some(11), 10), Err(SizeProblem::TooLarge { limit: 10 }));
        for bad in [None, Some(0), Some(-5)] {
            assert!(matches!(FileSize::parse(bad, 10), Err(SizeProblem::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn dimensions_come_in_pairs_within_bounds() {
        assert_eq!(Dimensions::parse(None, None).unwrap(), Dimensions::default());
        assert_eq!(
            Dimensions::parse(Some(640), Some(480)).unwrap(),
            Dimensions { width: Some(640), height: Some(480) }
        );
        for (w, h) in [(Some(0), Some(1)), (Some(1), None), (None, Some(1)), (Some(100_001), Some(1))] {
            assert_eq!(Dimensions::parse(w, h).unwrap_err().code, "invalid_dimensions");
        }
    }
}
