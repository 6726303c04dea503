//! `ProfileCredentialProvider` of the official SDK: an INI file,
//! `~/.huaweicloud/credentials` unless `HUAWEICLOUD_SDK_CREDENTIALS_FILE` names another,
//! section `[basic]` with `ak`, `sk`, `security_token`, `project_id`, `iam_endpoint`.
//!
//! The file is read with the rules of Python's `configparser` (what the official SDK
//! uses): `key = value` or `key: value`, keys case-insensitive, `#`/`;` comment lines,
//! indented continuation lines, a `[DEFAULT]` section shared by all, `%%` for `%` and
//! `%(key)s` references; duplicates are errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::{Env, Identity, ProvideCredentials, ProviderError};
use crate::secrets::AkSk;

/// The official variable naming the credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

const SECTION: &str = "basic";

/// Credentials from the official SDKs' profile file.
#[derive(Debug, Clone, Default)]
pub struct ProfileProvider {
    env: Env,
    path: Option<PathBuf>,
}

impl ProfileProvider {
    /// The file named by `HUAWEICLOUD_SDK_CREDENTIALS_FILE` in `env`, else
    /// `~/.huaweicloud/credentials`.
    pub fn new(env: Env) -> Self {
        Self { env, path: None }
    }

    /// Reads this file instead.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The file this provider reads, if a home directory or the variable gives one.
    pub fn path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.path {
            return Some(path.clone());
        }
        if let Some(file) = self.env.var(ENV_CREDENTIALS_FILE) {
            return Some(PathBuf::from(file));
        }
        self.env
            .home()
            .map(|home| home.join(".huaweicloud").join("credentials"))
    }

    /// Reads the file now.
    pub fn load(&self) -> Result<Identity, ProviderError> {
        let Some(path) = self.path() else {
            return Err(ProviderError::not_configured(
                "profile",
                format!("no home directory and {ENV_CREDENTIALS_FILE} unset"),
            ));
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProviderError::not_configured(
                    "profile",
                    format!("credentials file '{}' does not exist", path.display()),
                ))
            }
            Err(e) => {
                return Err(ProviderError::unusable(
                    "profile",
                    format!("could not read credentials file '{}': {e}", path.display()),
                ))
            }
        };
        from_text(&text, &path)
    }
}

/// The credentials of the file's `[basic]` section. Every failure is
/// [`ProviderError::unusable`]: the file exists, so the user meant it to be used.
fn from_text(text: &str, path: &Path) -> Result<Identity, ProviderError> {
    let fail = |m: String| ProviderError::unusable("profile", m);
    let ini = Ini::parse(text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let section = ini
        .section(SECTION)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?
        .ok_or_else(|| {
            fail(format!(
                "credential type '{SECTION}' does not exist in credentials file '{}'",
                path.display()
            ))
        })?;
    let get = |k: &str| section.get(k).filter(|v| !v.is_empty()).cloned();
    let (Some(ak), Some(sk)) = (get("ak"), get("sk")) else {
        if get("idp_id").is_some() && get("id_token_file").is_some() {
            return Err(fail(format!(
                "'{}' configures idp_id and id_token_file: federation through an identity \
                 provider is not supported by this client",
                path.display()
            )));
        }
        let has = match (get("ak"), get("sk")) {
            (Some(_), _) => "ak but no sk",
            (_, Some(_)) => "sk but no ak",
            _ => "neither ak nor sk",
        };
        return Err(fail(format!(
            "section [{SECTION}] of credentials file '{}' has {has} (both are needed)",
            path.display()
        )));
    };
    if get("idp_id").is_some() && get("id_token_file").is_some() {
        // The official SDK prefers IdP federation over AK/SK when both are set.
        return Err(fail(format!(
            "'{}' configures idp_id and id_token_file: federation through an identity \
             provider is not supported by this client; remove them to use ak/sk",
            path.display()
        )));
    }
    let mut keys = AkSk::new(ak, sk);
    if let Some(token) = get("security_token") {
        keys = keys.with_security_token(token);
    }
    Ok(Identity::new("profile", keys)
        .with_project_id(get("project_id"))
        .with_iam_endpoint(get("iam_endpoint")))
}

impl ProvideCredentials for ProfileProvider {
    fn name(&self) -> &'static str {
        "profile"
    }

    fn provide(&self) -> BoxFuture<'_, Result<Identity, ProviderError>> {
        Box::pin(async move { self.load() })
    }
}

/// An INI file read with `configparser`'s default rules. Raw values; interpolation
/// happens in [`Ini::section`].
#[derive(Debug, Default)]
struct Ini {
    defaults: Vec<(String, String)>,
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl Ini {
    fn parse(text: &str) -> Result<Ini, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Ini::default();
        // Where the current section's options go: None before any header.
        let mut current: Option<usize> = None; // usize::MAX = DEFAULT
        let mut last_key: Option<(usize, usize)> = None; // (indent, index of option)
        let mut blank_lines = 0;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n + 1;
            let stripped = raw.trim();
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            if stripped.is_empty() {
                // Kept inside a value if an indented line continues it, dropped otherwise.
                blank_lines += 1;
                continue;
            }
            let indent = raw.len() - raw.trim_start().len();
            if let (Some((key_indent, idx)), Some(sec)) = (last_key, current) {
                if indent > key_indent {
                    let options = ini.options_mut(sec);
                    for _ in 0..=blank_lines {
                        options[idx].1.push('\n');
                    }
                    options[idx].1.push_str(stripped);
                    blank_lines = 0;
                    continue;
                }
            }
            blank_lines = 0;
            if stripped.starts_with('[') && stripped.ends_with(']') && stripped.len() > 2 {
                let name = &stripped[1..stripped.len() - 1];
                if name == "DEFAULT" {
                    current = Some(usize::MAX);
                } else {
                    if ini.sections.iter().any(|(s, _)| s == name) {
                        return Err(format!("line {line_no}: section [{name}] already exists"));
                    }
                    ini.sections.push((name.to_owned(), Vec::new()));
                    current = Some(ini.sections.len() - 1);
                }
                last_key = None;
                continue;
            }
            let Some(sec) = current else {
                return Err(format!("line {line_no}: text before the first [section]"));
            };
            let Some(at) = stripped.find(['=', ':']) else {
                return Err(format!("line {line_no}: expected `key = value`"));
            };
            let key = stripped[..at].trim_end().to_lowercase();
            let value = stripped[at + 1..].trim().to_owned();
            if key.is_empty() {
                return Err(format!("line {line_no}: empty key"));
            }
            let options = ini.options_mut(sec);
            if options.iter().any(|(k, _)| *k == key) {
                return Err(format!(
                    "line {line_no}: option '{key}' already set in this section"
                ));
            }
            options.push((key, value));
            last_key = Some((indent, options.len() - 1));
        }
        Ok(ini)
    }

    fn options_mut(&mut self, sec: usize) -> &mut Vec<(String, String)> {
        if sec == usize::MAX {
            &mut self.defaults
        } else {
            &mut self.sections[sec].1
        }
    }

    /// The section's options with `[DEFAULT]`'s, interpolated (`%%`, `%(key)s`).
    fn section(&self, name: &str) -> Result<Option<HashMap<String, String>>, String> {
        let Some((_, options)) = self.sections.iter().find(|(s, _)| s == name) else {
            return Ok(None);
        };
        let mut raw: HashMap<&str, &str> = self
            .defaults
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        raw.extend(options.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut out = HashMap::new();
        for (key, value) in &raw {
            out.insert((*key).to_owned(), interpolate(key, value, &raw, 0)?);
        }
        Ok(Some(out))
    }
}

/// `configparser.BasicInterpolation`: `%%` is `%`, `%(name)s` is another option's value;
/// any other `%` is an error. Errors name the key, never the value.
fn interpolate(
    key: &str,
    value: &str,
    all: &HashMap<&str, &str>,
    depth: usize,
) -> Result<String, String> {
    if depth > 10 {
        return Err(format!("option '{key}': references nest too deeply"));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        if let Some(after) = tail.strip_prefix('%') {
            out.push('%');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('(') {
            let Some(close) = inner.find(")s") else {
                return Err(format!("option '{key}': bad %(name)s reference"));
            };
            let name = inner[..close].to_lowercase();
            let Some(target) = all.get(name.as_str()) else {
                return Err(format!(
                    "option '{key}' refers to '{name}', which is not set"
                ));
            };
            out.push_str(&interpolate(&name, target, all, depth + 1)?);
            rest = &inner[close + 2..];
        } else {
            return Err(format!(
                "option '{key}': '%' must be followed by '%' or '(' (write %% for a percent sign)"
            ));
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn load(text: &str) -> Result<Identity, ProviderError> {
        from_text(text, Path::new("/creds"))
    }

    #[test]
    fn reads_the_basic_section() {
        let id = load(
            "[basic]\nak = AKPROFILE\nsk = SKPROFILE\nsecurity_token = TOK\n\
             project_id = proj\niam_endpoint = https://iam.example\n\n[global]\nak = other\n",
        )
        .unwrap();
        assert_eq!(id.provider(), "profile");
        assert_eq!(id.keys().access_key(), "AKPROFILE");
        assert_eq!(id.keys().secret_key().expose_secret(), "SKPROFILE");
        assert_eq!(id.keys().security_token().unwrap().expose_secret(), "TOK");
        assert_eq!(id.project_id(), Some("proj"));
        assert_eq!(id.iam_endpoint(), Some("https://iam.example"));
    }

    #[test]
    fn configparser_rules() {
        let id = load(
            "# comment\n; other comment\n[DEFAULT]\nproject_id: fromdefault\n\
             [basic]\nAK=AKUPPER\nSk :  S%%K=1 \nsecurity_token = first\n\n  second\n",
        )
        .unwrap();
        assert_eq!(id.keys().access_key(), "AKUPPER");
        assert_eq!(id.keys().secret_key().expose_secret(), "S%K=1");
        assert_eq!(
            id.keys().security_token().unwrap().expose_secret(),
            "first\n\nsecond"
        );
        assert_eq!(id.project_id(), Some("fromdefault"));
        assert_eq!(id.iam_endpoint(), None);
        let id = load("[basic]\nak=A\nsk=S\nregion=cn-north-4\nproject_id=%(region)s-p\n").unwrap();
        assert_eq!(id.project_id(), Some("cn-north-4-p"));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = load("[global]\nak=A\nsk=S\n").unwrap_err();
        assert_eq!(
            e.message,
            "credential type 'basic' does not exist in credentials file '/creds'"
        );
        assert!(e.unusable, "{e:?}");
        let e = load("[basic]\nak=A\n").unwrap_err();
        assert_eq!(
            e.message,
            "section [basic] of credentials file '/creds' has ak but no sk (both are needed)"
        );
        let e = load("[basic]\nsk=S\nproject_id=p\n").unwrap_err();
        assert!(e.message.contains("has sk but no ak"), "{e}");
        let e = load("[basic]\nproject_id=p\n").unwrap_err();
        assert!(e.message.contains("has neither ak nor sk"), "{e}");
        assert!(e.unusable, "{e:?}");
        let e = load("ak=A\n").unwrap_err();
        assert!(e.message.contains("line 1"), "{e}");
        let e = load("[basic]\nak=A\nak=B\n").unwrap_err();
        assert!(e.message.contains("line 3"), "{e}");
        let e = load("[basic]\nak=A\n[basic]\n").unwrap_err();
        assert!(e.message.contains("already exists"), "{e}");
        let e = load("[basic]\nak=A\njunk\n").unwrap_err();
        assert!(e.message.contains("line 3"), "{e}");
        let e = load("[basic]\nak=A\nsk=SECRET%VALUE\n").unwrap_err();
        assert!(e.message.contains("option 'sk'"), "{e}");
        assert!(!e.message.contains("SECRET"), "{e}");
    }

    #[test]
    fn path_rules() {
        let p = ProfileProvider::new(Env::from_pairs([("HOME", "/home/u")]));
        assert_eq!(
            p.path().unwrap(),
            PathBuf::from("/home/u/.huaweicloud/credentials")
        );
        let p = ProfileProvider::new(Env::from_pairs([
            ("HOME", "/home/u"),
            (ENV_CREDENTIALS_FILE, "/etc/hc"),
        ]));
        assert_eq!(p.path().unwrap(), PathBuf::from("/etc/hc"));
        let e = ProfileProvider::new(Env::from_pairs([(ENV_CREDENTIALS_FILE, "/nonexistent/x")]))
            .load()
            .unwrap_err();
        assert_eq!(
            e.message,
            "credentials file '/nonexistent/x' does not exist"
        );
        assert!(!e.configured && !e.unusable);
    }
}
