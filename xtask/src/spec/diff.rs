//! Where two versions of the spec differ, keyword by keyword: the deepest places (JSON
//! pointers) at which the two documents hold different values. `compat.rs` turns them
//! into the changes that drift and our own checks do not describe (documentation,
//! `deprecated`, `additionalProperties`, extensions, `servers`…), so that every
//! difference between two versions is listed somewhere, with a verdict.

use serde_json::Value;

use super::compat::{DOC_KEYWORDS, NAMED_MAPS};

/// One place where the documents differ: a value added, removed or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// JSON pointer (`/components/schemas/EndpointResp/additionalProperties`).
    pub pointer: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl Difference {
    /// The pointer's segments, unescaped.
    pub fn segments(&self) -> Vec<String> {
        segments(&self.pointer)
    }

    /// A documentation-only difference: under a documentation keyword (`description`,
    /// `example`, … outside a map of names, as `compat::strip_docs` reads them) or under
    /// `info` (except `info.version`, which is the version itself).
    pub fn is_documentation(&self) -> bool {
        is_documentation(&self.segments())
    }

    /// What happened, in words: `added: true`, `removed (was "x")`, `"a" → "b"`, or the
    /// values added to and removed from a list of strings.
    pub fn describe(&self) -> String {
        match (&self.old, &self.new) {
            (None, Some(new)) => format!("added: {}", short(new)),
            (Some(old), None) => format!("removed (was {})", short(old)),
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                let added: Vec<String> = b.iter().filter(|v| !a.contains(v)).map(short).collect();
                let removed: Vec<String> = a.iter().filter(|v| !b.contains(v)).map(short).collect();
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("values added: {}", added.join(", ")));
                }
                if !removed.is_empty() {
                    parts.push(format!("values removed: {}", removed.join(", ")));
                }
                if parts.is_empty() {
                    "values reordered".into()
                } else {
                    parts.join("; ")
                }
            }
            (Some(old), Some(new)) => format!("{} → {}", short(old), short(new)),
            (None, None) => "unchanged".into(),
        }
    }
}

/// Every place where `old` and `new` differ, in document order. Objects are compared key
/// by key; arrays of the same length element by element; anything else as a whole.
pub fn differences(old: &Value, new: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(old, new, &mut String::new(), &mut out);
    out
}

fn walk(old: &Value, new: &Value, pointer: &mut String, out: &mut Vec<Difference>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            keys.sort();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(key));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(x, y, pointer, out),
                    (x, y) => out.push(Difference {
                        pointer: pointer.clone(),
                        old: x.cloned(),
                        new: y.cloned(),
                    }),
                }
                pointer.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b))
            if a.len() == b.len() && !a.iter().chain(b).all(is_scalar) =>
        {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk(x, y, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => out.push(Difference {
            pointer: pointer.clone(),
            old: Some(old.clone()),
            new: Some(new.clone()),
        }),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// A segment of a JSON pointer, escaped (`~` → `~0`, `/` → `~1`).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The unescaped segments of a JSON pointer (`""` has none).
pub fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Whether the place named by these segments is documentation (see
/// [`Difference::is_documentation`]).
pub fn is_documentation(segments: &[String]) -> bool {
    if segments.first().map(String::as_str) == Some("info") {
        return segments.get(1).map(String::as_str) != Some("version");
    }
    segments.iter().enumerate().any(|(i, s)| {
        let parent = if i == 0 { "" } else { segments[i - 1].as_str() };
        DOC_KEYWORDS.contains(&s.as_str()) && !NAMED_MAPS.contains(&parent)
    })
}

/// A JSON value in one line, cut at 60 characters.
pub fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 60 {
        format!("`{text}`")
    } else {
        let cut: String = text.chars().take(57).collect();
        format!("`{cut}…`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_deepest_places_that_differ() {
        let old = json!({"a": {"b": 1, "c": [1, 2], "d": [{"x": 1}]}, "e": "same"});
        let new = json!({"a": {"b": 2, "c": [2, 3], "d": [{"x": 2}], "f": true}, "e": "same"});
        let found: Vec<(String, String)> = differences(&old, &new)
            .iter()
            .map(|d| (d.pointer.clone(), d.describe()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("/a/b".into(), "`1` → `2`".into()),
                (
                    "/a/c".into(),
                    "values added: `3`; values removed: `1`".into()
                ),
                ("/a/d/0/x".into(), "`1` → `2`".into()),
                ("/a/f".into(), "added: `true`".into()),
            ]
        );
    }

    #[test]
    fn documentation_is_told_from_names_like_keywords() {
        let doc = |p: &str| is_documentation(&segments(p));
        assert!(doc("/components/schemas/S/description"));
        assert!(doc(
            "/paths/~1x/get/responses/200/content/application~1json/example/endpoints/0/id"
        ));
        assert!(doc("/info/title"));
        assert!(!doc("/info/version"));
        // A property named `description` is not documentation; its description is.
        assert!(!doc("/components/schemas/S/properties/description"));
        assert!(!doc("/components/schemas/S/properties/description/type"));
        assert!(doc(
            "/components/schemas/S/properties/description/description"
        ));
        assert!(!doc("/components/schemas/S/additionalProperties"));
    }
}
