//! File uploads: the S3-compatible object store (`STORAGE_S3_*`; off unless a bucket is set) and
//! what an upload may be (`UPLOAD_*`, `RATE_LIMIT_UPLOADS_PER_MINUTE`), read even when the store is
//! off so `/api/config` can say what a client may send.

use super::env::{ConfigError, Env};
use super::secret::Secret;
use std::time::Duration;

/// The store: any S3-compatible service (AWS S3, Cloudflare R2, Supabase Storage's S3 endpoint,
/// MinIO, s3s-fs locally).
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// `scheme://host[:port][/path]` of the S3 API, e.g. `https://s3.eu-central-1.amazonaws.com`.
    pub endpoint: url::Url,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`.
    pub path_style: bool,
    /// Timeout of each call the API makes to the store itself (HEAD, DELETE).
    pub timeout: Duration,
}

/// The longest a presigned URL may live: long enough for a large file on a slow line, short
/// enough that a leaked link is soon useless.
pub const MAX_PRESIGN: Duration = Duration::from_secs(600);

/// The types allowed when `UPLOAD_ALLOWED_TYPES` is unset: images, PDF, plain text and CSV, common
/// office documents, archives, audio and video. Neither `text/html` nor `image/svg+xml`: both run
/// script when a browser opens them (they would be served as attachments anyway).
pub const DEFAULT_ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/heic",
    "image/heif",
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/rtf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/zip",
    "application/gzip",
    "audio/*",
    "video/*",
];

#[derive(Debug, Clone)]
pub struct UploadsConfig {
    /// `UPLOAD_MAX_BYTES`: the largest file (25 MB by default).
    pub max_bytes: u64,
    /// `UPLOAD_ALLOWED_TYPES`: exact types (`application/pdf`) or a major type (`image/*`).
    pub allowed_types: Vec<String>,
    /// `UPLOAD_PUT_EXPIRY_SECS`: how long a presigned PUT works (300 s; at most 600).
    pub put_expiry: Duration,
    /// `UPLOAD_GET_EXPIRY_SECS`: how long a presigned download works (60 s; at most 600).
    pub get_expiry: Duration,
    /// `RATE_LIMIT_UPLOADS_PER_MINUTE`: uploads one user may start a minute (also the burst).
    pub per_minute: u32,
    /// `UPLOAD_UNUSED_TTL_SECS`: how long an upload no message used is kept (a day).
    pub unused_ttl: Duration,
}

impl UploadsConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let max_bytes: u64 = env.parsed("UPLOAD_MAX_BYTES", 25 * 1024 * 1024)?;
        if max_bytes == 0 || max_bytes > 5 * 1024 * 1024 * 1024 {
            return Err(ConfigError::new("UPLOAD_MAX_BYTES", "must be between 1 and 5 GiB (one PUT's limit)"));
        }
        let allowed_types = match env.optional("UPLOAD_ALLOWED_TYPES") {
            None => DEFAULT_ALLOWED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            Some(raw) => parse_types(&raw)?,
        };
        Ok(Self {
            max_bytes,
            allowed_types,
            put_expiry: expiry(env, "UPLOAD_PUT_EXPIRY_SECS", 300)?,
            get_expiry: expiry(env, "UPLOAD_GET_EXPIRY_SECS", 60)?,
            per_minute: env.at_least_one("RATE_LIMIT_UPLOADS_PER_MINUTE", 20)?,
            unused_ttl: Duration::from_secs(env.parsed("UPLOAD_UNUSED_TTL_SECS", 86_400u64)?.max(60)),
        })
    }

    /// Whether a (normalised) content type is allowed.
    pub fn allows(&self, content_type: &str) -> bool {
        self.allowed_types.iter().any(|allowed| match allowed.strip_suffix("/*") {
            Some(major) => content_type.split_once('/').is_some_and(|(m, _)| m == major),
            None => allowed == content_type,
        })
    }
}

fn expiry(env: &Env, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    match env.parsed(name, default)? {
        secs if (1..=MAX_PRESIGN.as_secs()).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(ConfigError::new(name, format!("must be between 1 and {} seconds", MAX_PRESIGN.as_secs()))),
    }
}

/// A comma-separated list of `type/subtype` or `type/*`, lowercased.
fn parse_types(raw: &str) -> Result<Vec<String>, ConfigError> {
    let types: Vec<String> = raw.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect();
    let valid = |t: &str| {
        t.split_once('/').is_some_and(|(major, minor)| {
            let token =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
            token(major) && (minor == "*" || token(minor))
        })
    };
    match types.iter().find(|t| !valid(t)) {
        Some(bad) => {
            Err(ConfigError::new("UPLOAD_ALLOWED_TYPES", format!("has {bad:?}, not a type/subtype or type/*")))
        }
        None if types.is_empty() => Err(ConfigError::new("UPLOAD_ALLOWED_TYPES", "lists no type")),
        None => Ok(types),
    }
}

impl StorageConfig {
    /// `None` when no `STORAGE_S3_*` variable is set; some but not all of the required ones name
    /// the first missing.
    pub(super) fn read(env: &Env) -> Result<Option<Self>, ConfigError> {
        const REQUIRED: [&str; 4] =
            ["STORAGE_S3_ENDPOINT", "STORAGE_S3_BUCKET", "STORAGE_S3_ACCESS_KEY_ID", "STORAGE_S3_SECRET_ACCESS_KEY"];
        let any_set = REQUIRED
            .iter()
            .chain(&["STORAGE_S3_REGION", "STORAGE_S3_PATH_STYLE"])
            .any(|name| env.optional(name).is_some());
        if !any_set {
            return Ok(None);
        }
        let raw_endpoint = env.required("STORAGE_S3_ENDPOINT")?;
        let endpoint = url::Url::parse(&raw_endpoint)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .filter(|url| url.username().is_empty() && url.password().is_none() && url.query().is_none())
            .ok_or_else(|| {
                ConfigError::new("STORAGE_S3_ENDPOINT", "must be an http(s):// URL with a host and no credentials")
            })?;
        let bucket = env.required("STORAGE_S3_BUCKET")?;
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !bucket_ok {
            return Err(ConfigError::new(
                "STORAGE_S3_BUCKET",
                "must be 3-63 lowercase letters, digits, dots or hyphens",
            ));
        }
        let path_style = match env.optional("STORAGE_S3_PATH_STYLE").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError::new("STORAGE_S3_PATH_STYLE", format!("must be true or false, not {other:?}")))
            }
        };
        let timeout_ms: u64 = env.parsed("STORAGE_S3_TIMEOUT_MS", 5_000)?;
        if timeout_ms == 0 {
            return Err(ConfigError::new("STORAGE_S3_TIMEOUT_MS", "must be at least 1"));
        }
        Ok(Some(Self {
            endpoint,
            region: env.optional("STORAGE_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
            bucket,
            access_key_id: env.required("STORAGE_S3_ACCESS_KEY_ID")?,
            secret_access_key: Secret::new(env.required("STORAGE_S3_SECRET_ACCESS_KEY")?),
            path_style,
            timeout: Duration::from_millis(timeout_ms),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    fn with(pairs: &[(&'static str, &'static str)]) -> std::collections::HashMap<&'static str, &'static str> {
        let mut vars = base();
        vars.extend(pairs.iter().copied());
        vars
    }

    const STORE: &[(&str, &str)] = &[
        ("STORAGE_S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("STORAGE_S3_BUCKET", "chat-files"),
        ("STORAGE_S3_ACCESS_KEY_ID", "AK"),
        ("STORAGE_S3_SECRET_ACCESS_KEY", "very-secret-key"),
    ];

    #[test]
    fn storage_is_off_unless_configured_and_a_partial_setup_names_what_is_missing() {
        assert!(load(&base()).unwrap().storage.is_none());
        for (missing, _) in STORE {
            let mut vars = with(STORE);
            vars.remove(missing);
            assert_eq!(load(&vars).unwrap_err().variable, *missing);
        }
        assert_eq!(load(&with(&[("STORAGE_S3_REGION", "auto")])).unwrap_err().variable, "STORAGE_S3_ENDPOINT");
        let config = load(&with(STORE)).unwrap();
        let storage = config.storage.unwrap();
        assert_eq!((storage.region.as_str(), storage.path_style), ("us-east-1", true));
        assert!(!format!("{storage:?}").contains("very-secret-key"));
    }

    #[test]
    fn bad_endpoints_buckets_and_path_styles_are_refused_by_name() {
        for (name, value) in [
            ("STORAGE_S3_ENDPOINT", "ftp://host"),
            ("STORAGE_S3_ENDPOINT", "https://user:pw@host"),
            ("STORAGE_S3_ENDPOINT", "not a url"),
            ("STORAGE_S3_ENDPOINT", "https://host/?x-id=1"),
            ("STORAGE_S3_ENDPOINT", "https://:pw@host"),
            ("STORAGE_S3_BUCKET", "Upper"),
            ("STORAGE_S3_BUCKET", "ab"),
            ("STORAGE_S3_PATH_STYLE", "maybe"),
            ("STORAGE_S3_TIMEOUT_MS", "0"),
        ] {
            let mut vars = with(STORE);
            vars.insert(name, value);
            assert_eq!(load(&vars).unwrap_err().variable, name, "{value}");
        }
        let mut vars = with(STORE);
        vars.insert("STORAGE_S3_PATH_STYLE", "false");
        assert!(!load(&vars).unwrap().storage.unwrap().path_style);
    }

    #[test]
    fn uploads_default_to_25_mb_of_safe_types_with_short_presigns() {
        let uploads = load(&base()).unwrap().uploads;
        assert_eq!(uploads.max_bytes, 26_214_400);
        assert_eq!((uploads.put_expiry.as_secs(), uploads.get_expiry.as_secs(), uploads.per_minute), (300, 60, 20));
        for allowed in ["image/png", "application/pdf", "text/plain", "audio/ogg", "video/mp4"] {
            assert!(uploads.allows(allowed), "{allowed}");
        }
        for refused in ["text/html", "image/svg+xml", "application/javascript", "application/x-msdownload", "image"] {
            assert!(!uploads.allows(refused), "{refused}");
        }
    }

    #[test]
    fn upload_settings_are_checked_by_name() {
        for (name, value) in [
            ("UPLOAD_MAX_BYTES", "0"),
            ("UPLOAD_MAX_BYTES", "-1"),
            ("UPLOAD_PUT_EXPIRY_SECS", "601"),
            ("UPLOAD_GET_EXPIRY_SECS", "0"),
            ("UPLOAD_ALLOWED_TYPES", "image"),
            ("UPLOAD_ALLOWED_TYPES", " , "),
            ("UPLOAD_ALLOWED_TYPES", "im age/png"),
            ("UPLOAD_ALLOWED_TYPES", "/png"),
            ("UPLOAD_ALLOWED_TYPES", "image/p ng"),
            ("UPLOAD_ALLOWED_TYPES", "image/"),
            ("UPLOAD_MAX_BYTES", "5368709121"),
            ("RATE_LIMIT_UPLOADS_PER_MINUTE", "0"),
        ] {
            let vars = with(&[(name, value)]);
            assert_eq!(load(&vars).unwrap_err().variable, name, "{value}");
        }
        assert_eq!(
            load(&with(&[("UPLOAD_MAX_BYTES", "5368709120")])).unwrap().uploads.max_bytes,
            5 << 30,
            "5 GiB fits"
        );
        let uploads = load(&with(&[("UPLOAD_ALLOWED_TYPES", "Image/*, application/pdf")])).unwrap().uploads;
        assert!(uploads.allows("image/svg+xml") && uploads.allows("application/pdf") && !uploads.allows("text/plain"));
    }
}
