//! Output formats. A [`Printer`] receives pages as they arrive and writes them in one of
//! the formats; everything here works on any `io::Write`, so it is unit-tested on buffers.
//!
//! - `json`, `jsonl`, `csv` and `ids` stream: each page is written (and flushed) as it
//!   arrives, so memory stays bounded by a page whatever the number of endpoints. `json` is
//!   written piece by piece yet byte-for-byte what `serde_json::to_writer_pretty` gives for
//!   the whole `{"endpoints": [...], "total_count": N}` document.
//! - `table` keeps only the displayed strings per endpoint until the end, when the column
//!   widths are known.
//! - A [`Shape`] chooses what of each endpoint is written: all of it, some fields
//!   (`--fields`, [`crate::fields`]), or a JMESPath expression's result (`--query`: per
//!   endpoint for `jsonl`; on the whole document for `json`, which then keeps every
//!   endpoint until the end, as JMESPath needs the document).

use std::io::{self, Write};

use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::Value;
use vpcep_client::estate::TargetId;
use vpcep_client::terminal::{is_terminal_safe, printable};
use vpcep_client::types::EndpointResp;

use crate::args::OutputFormat;
use crate::fields::Field;

/// Shown for a missing value in a table.
pub const MISSING: &str = "-";

/// The table's columns.
pub const TABLE_HEADERS: [&str; 6] = ["ID", "STATUS", "SERVICE NAME", "VPC", "IP", "CREATED"];

/// The property of `EndpointResp` (its JSON name in the spec) each column of
/// [`TABLE_HEADERS`] shows, in the same order. `tests/contract.rs` checks that each is a
/// property of the spec's schema and that [`table_row`] shows that property.
pub const TABLE_PROPERTIES: [&str; 6] = [
    "id",
    "status",
    "endpoint_service_name",
    "vpc_id",
    "ip",
    "created_at",
];

/// The columns a listing of several targets puts before [`TABLE_HEADERS`].
pub const TARGET_HEADERS: [&str; 3] = ["ACCOUNT", "REGION", "PROJECT"];

/// The field a listing of several targets adds to each endpoint's JSON object: where it
/// came from (`{"account": …, "region": …, "project_id": …}`).
pub const TARGET_FIELD: &str = "target";

/// The fields of [`TARGET_FIELD`], as `--fields` names them (dotted paths).
pub const TARGET_FIELDS: [&str; 4] = [
    TARGET_FIELD,
    "target.account",
    "target.region",
    "target.project_id",
];

/// An endpoint with its target, serialised as the endpoint's object plus [`TARGET_FIELD`].
#[derive(Serialize)]
struct Tagged<'a> {
    #[serde(flatten)]
    endpoint: &'a EndpointResp,
    target: &'a TargetId,
}

/// An endpoint as written: alone, or with its target in a listing of several.
#[derive(Serialize)]
#[serde(untagged)]
enum Record<'a> {
    Tagged(Tagged<'a>),
    Plain(&'a EndpointResp),
}

impl<'a> Record<'a> {
    fn of(endpoint: &'a EndpointResp, target: Option<&'a TargetId>) -> Self {
        match target {
            Some(target) => Record::Tagged(Tagged { endpoint, target }),
            None => Record::Plain(endpoint),
        }
    }

    fn value(&self) -> io::Result<Value> {
        Ok(serde_json::to_value(self)?)
    }
}

/// What of each endpoint a [`Printer`] writes.
#[derive(Default)]
pub enum Shape {
    /// Every field (today's formats; `csv`: every field of the spec).
    #[default]
    Whole,
    /// These fields, in this order (`--fields`).
    Fields(Vec<Field>),
    /// A JMESPath expression's result (`--query`): `json` and `jsonl` only.
    Query(jmespath::Expression<'static>),
}

/// Writes endpoints in one format as pages arrive.
pub struct Printer<W: Write> {
    format: OutputFormat,
    shape: Shape,
    out: W,
    /// `total_count` of the first page that had one.
    total_count: Option<i64>,
    /// Endpoints written (or kept, for the table).
    count: u64,
    /// `json`: whether the opening `{"endpoints": [` was written; `csv`: whether the header
    /// row was.
    opened: bool,
    /// `table`: the rows.
    rows: Vec<Vec<String>>,
    /// `json` with a query: the endpoints, for the document the query reads.
    records: Vec<Value>,
    /// Endpoints without an ID that `ids` skipped.
    skipped_without_id: u64,
    /// `table` of several targets: the target columns of each row.
    target_cells: Vec<[String; 3]>,
}

/// A `--query` that could not be evaluated (e.g. a function given the wrong type).
#[derive(Debug)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Compiles a `--query` expression; a bad one is an error saying where.
pub fn compile_query(text: &str) -> Result<jmespath::Expression<'static>, String> {
    jmespath::compile(text).map_err(|e| {
        let before: String = text.chars().take(e.offset).collect();
        let after: String = text.chars().skip(e.offset).collect();
        format!(
            "--query: not a valid JMESPath expression: {} at character {} ({:?} here -> {:?})",
            printable(&e.reason.to_string()),
            e.offset + 1,
            printable(&before),
            printable(&after),
        )
    })
}

impl<W: Write> Printer<W> {
    /// A printer writing `format` to `out`.
    pub fn new(format: OutputFormat, out: W) -> Self {
        Self::with_shape(format, Shape::Whole, out)
    }

    /// A printer writing `shape` of each endpoint in `format` to `out`. The caller has
    /// checked that the two fit (`--query` is for `json` and `jsonl`, `--fields` not for
    /// `ids`).
    pub fn with_shape(format: OutputFormat, shape: Shape, out: W) -> Self {
        let shape = match (format, shape) {
            // Every field of the spec, the table's first.
            (OutputFormat::Csv, Shape::Whole) => {
                Shape::Fields(crate::fields::Catalog::endpoint().every_field(&TABLE_PROPERTIES))
            }
            (_, shape) => shape,
        };
        Printer {
            format,
            shape,
            out,
            total_count: None,
            count: 0,
            opened: false,
            rows: Vec::new(),
            records: Vec::new(),
            skipped_without_id: 0,
            target_cells: Vec::new(),
        }
    }

    /// Endpoints seen so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The format written.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Writes one page. `total_count` is the page's `total_count` (the number of matching
    /// endpoints on the server); the first one given is kept.
    pub fn page(&mut self, total_count: Option<i64>, endpoints: &[EndpointResp]) -> io::Result<()> {
        self.page_of(None, total_count, endpoints)
    }

    /// Writes one page of a target of a listing of several: each record says where it came
    /// from ([`TARGET_FIELD`] in JSON, csv and `--fields`, the [`TARGET_HEADERS`] columns in
    /// the default table).
    pub fn target_page(&mut self, target: &TargetId, endpoints: &[EndpointResp]) -> io::Result<()> {
        self.page_of(Some(target), None, endpoints)
    }

    fn page_of(
        &mut self,
        target: Option<&TargetId>,
        total_count: Option<i64>,
        endpoints: &[EndpointResp],
    ) -> io::Result<()> {
        if self.total_count.is_none() {
            self.total_count = total_count;
        }
        match (self.format, &self.shape) {
            (OutputFormat::Table, Shape::Whole) => {
                self.rows
                    .extend(endpoints.iter().map(|e| table_row(e).to_vec()));
                if let Some(target) = target {
                    let cell = |v: &Option<String>| match v.as_deref() {
                        Some(s) if !s.is_empty() => printable(s).into_owned(),
                        _ => MISSING.to_owned(),
                    };
                    let cells = [
                        cell(&target.account),
                        cell(&target.region),
                        cell(&target.project_id),
                    ];
                    self.target_cells
                        .extend(std::iter::repeat_n(cells, endpoints.len()));
                }
            }
            (OutputFormat::Table, Shape::Fields(fields)) => {
                for endpoint in endpoints {
                    let record = Record::of(endpoint, target).value()?;
                    self.rows.push(
                        fields
                            .iter()
                            .map(|f| table_cell(f.get(&record).as_ref()))
                            .collect(),
                    );
                }
            }
            (OutputFormat::Json, Shape::Query(_)) => {
                for endpoint in endpoints {
                    self.records.push(Record::of(endpoint, target).value()?);
                }
            }
            (OutputFormat::Json, Shape::Whole) => {
                for endpoint in endpoints {
                    json_element(
                        &mut self.out,
                        &mut self.opened,
                        &Record::of(endpoint, target),
                    )?;
                }
            }
            (OutputFormat::Json, Shape::Fields(fields)) => {
                for endpoint in endpoints {
                    let record = Record::of(endpoint, target).value()?;
                    json_element(
                        &mut self.out,
                        &mut self.opened,
                        &Selected::new(fields, &record),
                    )?;
                }
            }
            (OutputFormat::Jsonl, shape) => {
                for endpoint in endpoints {
                    match shape {
                        Shape::Whole => {
                            write_compact(&mut self.out, &Record::of(endpoint, target))?
                        }
                        Shape::Fields(fields) => {
                            let record = Record::of(endpoint, target).value()?;
                            write_compact(&mut self.out, &Selected::new(fields, &record))?;
                        }
                        Shape::Query(expression) => {
                            let result = search(expression, &Record::of(endpoint, target))?;
                            // A per-endpoint query filters by giving null.
                            if result.is_null() {
                                continue;
                            }
                            write_compact(&mut self.out, &*result)?;
                        }
                    }
                    self.out.write_all(b"\n")?;
                }
            }
            (OutputFormat::Csv, Shape::Fields(fields)) => {
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(&mut self.out);
                if !self.opened {
                    csv.write_record(fields.iter().map(Field::name))?;
                    self.opened = true;
                }
                for endpoint in endpoints {
                    let record = Record::of(endpoint, target).value()?;
                    csv.write_record(fields.iter().map(|f| csv_cell(f.get(&record).as_ref())))?;
                }
                csv.flush()?;
            }
            (OutputFormat::Ids, _) => {
                for endpoint in endpoints {
                    match &endpoint.id {
                        Some(id) => writeln!(self.out, "{}", printable(id))?,
                        None => self.skipped_without_id += 1,
                    }
                }
            }
            (format, _) => {
                return Err(io::Error::other(format!(
                    "internal error: this shape is not written as {format:?}"
                )))
            }
        }
        self.count += endpoints.len() as u64;
        if self.format != OutputFormat::Table {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Writes what is left (closing brackets, the table) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        match (self.format, &self.shape) {
            (OutputFormat::Table, shape) => {
                match shape {
                    Shape::Fields(fields) => {
                        let headers: Vec<String> =
                            fields.iter().map(|f| f.name().to_uppercase()).collect();
                        write_columns(&mut self.out, &headers, &self.rows)?;
                    }
                    _ if !self.target_cells.is_empty() => {
                        // Several targets: where each endpoint came from, first.
                        let headers: Vec<String> = TARGET_HEADERS
                            .iter()
                            .chain(&TABLE_HEADERS)
                            .map(|h| h.to_string())
                            .collect();
                        let rows: Vec<Vec<String>> = self
                            .target_cells
                            .iter()
                            .zip(&self.rows)
                            .map(|(target, row)| target.iter().chain(row).cloned().collect())
                            .collect();
                        write_columns(&mut self.out, &headers, &rows)?;
                    }
                    _ => {
                        let headers = TABLE_HEADERS.map(str::to_owned);
                        write_columns(&mut self.out, &headers, &self.rows)?;
                    }
                }
                let shown = self.rows.len() as i64;
                if let Some(total) = self.total_count.filter(|&t| t > shown) {
                    writeln!(
                        self.out,
                        "{shown} of {total} endpoints shown; --all lists every page \
                         (or page with --limit and --offset)"
                    )?;
                }
            }
            (OutputFormat::Json, Shape::Query(expression)) => {
                let total = self.total_count.unwrap_or(self.count as i64);
                let document = serde_json::json!({
                    "endpoints": std::mem::take(&mut self.records),
                    "total_count": total,
                });
                let result = search(expression, &document)?;
                write_pretty(&mut self.out, &*result)?;
                self.out.write_all(b"\n")?;
            }
            (OutputFormat::Json, _) => {
                let total = self.total_count.unwrap_or(self.count as i64);
                if self.opened {
                    self.out.write_all(b"\n  ],\n")?;
                } else {
                    self.out.write_all(b"{\n  \"endpoints\": [],\n")?;
                }
                writeln!(self.out, "  \"total_count\": {total}\n}}")?;
            }
            (OutputFormat::Csv, Shape::Fields(fields)) if !self.opened => {
                // No endpoint: still the header row.
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(&mut self.out);
                csv.write_record(fields.iter().map(Field::name))?;
                csv.flush()?;
            }
            (OutputFormat::Csv | OutputFormat::Jsonl, _) => {}
            (OutputFormat::Ids, _) => {
                if self.skipped_without_id > 0 {
                    tracing::warn!(
                        count = self.skipped_without_id,
                        "endpoints without an id were left out of the ids output"
                    );
                }
            }
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One element of the `endpoints` array, indented as `to_writer_pretty` would; `open`
/// says whether the document's opening `{"endpoints": [` was written (and is set).
fn json_element<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    open: &mut bool,
    endpoint: &T,
) -> io::Result<()> {
    if *open {
        out.write_all(b",\n")?;
    } else {
        out.write_all(b"{\n  \"endpoints\": [\n")?;
        *open = true;
    }
    let mut buf = Vec::with_capacity(1024);
    write_pretty(&mut buf, endpoint)?;
    // JSON strings never hold a raw newline, so every newline is a line break.
    for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(b"    ")?;
        out.write_all(line)?;
    }
    Ok(())
}

/// `value` as one line of compact JSON, terminal-safe (no newline written).
pub fn write_compact<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    write_json(out, value, serde_json::ser::CompactFormatter)
}

/// `value` as pretty-printed (two spaces), terminal-safe JSON (no final newline).
pub fn write_pretty<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    write_json(
        out,
        value,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    )
}

fn write_json<W, T, F>(out: &mut W, value: &T, formatter: F) -> io::Result<()>
where
    W: Write + ?Sized,
    T: Serialize + ?Sized,
    F: serde_json::ser::Formatter,
{
    let mut ser = serde_json::Serializer::with_formatter(out, TerminalSafeJson(formatter));
    value.serialize(&mut ser)?;
    Ok(())
}

/// `value` as compact, terminal-safe JSON text.
pub fn compact_text<T: Serialize + ?Sized>(value: &T) -> String {
    let mut buf = Vec::new();
    write_compact(&mut buf, value).expect("writing to a Vec does not fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Evaluates `expression` on `data`; an evaluation error (e.g. a function given the wrong
/// type) is an `io::Error` wrapping a [`QueryError`].
fn search<T: Serialize>(
    expression: &jmespath::Expression<'static>,
    data: &T,
) -> io::Result<jmespath::Rcvar> {
    let variable = jmespath::Variable::from_serializable(data)
        .map_err(|e| io::Error::other(QueryError(format!("--query: {e}"))))?;
    expression.search(variable).map_err(|e| {
        io::Error::other(QueryError(format!(
            "--query: {}",
            printable(&e.reason.to_string())
        )))
    })
}

/// Some fields of a record, as a JSON object with the fields in the order asked; a field
/// the record lacks is `null`.
struct Selected<'a> {
    fields: &'a [Field],
    values: Vec<Option<Value>>,
}

impl<'a> Selected<'a> {
    fn new(fields: &'a [Field], record: &Value) -> Self {
        Selected {
            fields,
            values: fields.iter().map(|f| f.get(record)).collect(),
        }
    }
}

impl Serialize for Selected<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (field, value) in self.fields.iter().zip(&self.values) {
            map.serialize_entry(field.name(), value)?;
        }
        map.end()
    }
}

/// A table cell: `-` for missing or null, strings [printable], other scalars as JSON
/// text, lists and objects as compact JSON.
fn table_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => MISSING.to_owned(),
        Some(Value::String(s)) if s.is_empty() => MISSING.to_owned(),
        Some(Value::String(s)) => printable(s).into_owned(),
        Some(other) => printable(&compact_text(other)).into_owned(),
    }
}

/// A CSV cell: empty for missing or null, strings as they are (tab and line feed kept,
/// RFC 4180 quoting does the rest) except the characters a terminal would act on, written
/// as `\u{1b}` as in a table; other scalars as JSON text (`true`, `42`), lists and objects
/// as compact JSON.
fn csv_cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            if s.chars()
                .all(|c| is_terminal_safe(c) || c == '\n' || c == '\t')
            {
                return s.clone();
            }
            let mut out = String::with_capacity(s.len() + 8);
            for c in s.chars() {
                if is_terminal_safe(c) || c == '\n' || c == '\t' {
                    out.push(c);
                } else {
                    out.extend(c.escape_unicode());
                }
            }
            out
        }
        Some(other) => compact_text(other),
    }
}

/// serde_json's formatter `F`, with the characters of a string that a terminal would act
/// on and that JSON may carry raw (DEL, C1 controls, bidirectional controls: whatever
/// [`is_terminal_safe`] refuses; serde already escapes C0 controls) written as `\uXXXX`
/// escapes: the same string to a JSON reader, inert on a terminal.
struct TerminalSafeJson<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafeJson<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| !is_terminal_safe(c)) {
            self.0.write_string_fragment(writer, &rest[..at])?;
            // Every such character is in the Basic Multilingual Plane: one \uXXXX.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_string_fragment(writer, rest)
    }

    // What PrettyFormatter keeps state for (indentation), handed to the inner formatter.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// The displayed strings of one endpoint, in [`TABLE_HEADERS`] order (the properties
/// [`TABLE_PROPERTIES`] names), [printable](vpcep_client::terminal::printable): a newline in a
/// service name or an escape sequence would break the table or act on the terminal.
pub fn table_row(e: &EndpointResp) -> [String; 6] {
    let text = |v: Option<&str>| match v {
        Some(s) if !s.is_empty() => printable(s).into_owned(),
        _ => MISSING.to_owned(),
    };
    [
        text(e.id.as_deref()),
        text(e.status.as_ref().map(|s| s.as_str())),
        text(e.endpoint_service_name.as_deref()),
        text(e.vpc_id.as_deref()),
        text(e.ip.as_deref()),
        text(e.created_at.as_deref()),
    ]
}

/// Writes aligned columns (two spaces apart, no trailing spaces) under `headers`, or a
/// line saying there is nothing to show.
pub fn write_columns<W: Write>(
    out: &mut W,
    headers: &[String],
    rows: &[Vec<String>],
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No endpoints found.");
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(headers).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = width.saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcep_client::types::EndpointListResp;

    /// The documentation's example response, with its quirks (string booleans, single
    /// strings for lists).
    const DOC_EXAMPLE: &str = r#"{
      "endpoints": [
        {
          "id": "03184a04-95d5-4555-86c4-e767a371ff99",
          "status": "accepted",
          "ip": "192.168.0.232",
          "marker_id": 16777337,
          "active_status": "active",
          "vpc_id": "84758cf5-9c62-43ae-a778-3dbd8370c0a4",
          "service_type": "interface",
          "project_id": "295dacf46a4842fcbf7844dc2dc2489d",
          "subnet_id": "68bfbcc1-dff2-47e4-a9d4-332b9bc1b8de",
          "enable_dns": "true",
          "dns_names": "test123",
          "created_at": "2018-10-18T06:49:46Z",
          "updated_at": "2018-10-18T06:49:50Z",
          "endpoint_service_id": "5133655d-0e28-4090-b669-13f87b355c78",
          "endpoint_service_name": "test123",
          "whitelist": ["127.0.0.1"],
          "enable_whitelist": "true",
          "tags": [{"key": "test1", "value": "test1"}]
        },
        {
          "id": "43b0e3b0-eec9-49da-866b-6687b75f9fe5",
          "status": "accepted",
          "marker_id": 16777322,
          "active_status": ["active"],
          "vpc_id": "e251b400-2963-4131-b38a-da81e32026ee",
          "service_type": "gataway",
          "project_id": "295dacf46a4842fcbf7844dc2dc2489d",
          "enable_dns": false,
          "created_at": "2018-10-18T06:26:40Z",
          "updated_at": "2018-10-18T06:29:50Z",
          "endpoint_service_id": "5133655d-0e28-4090-b669-13f87b355c78",
          "endpoint_service_name": "test123",
          "tags": []
        }
      ],
      "total_count": 17
    }"#;

    fn doc_page() -> EndpointListResp {
        serde_json::from_str(DOC_EXAMPLE).unwrap()
    }

    fn render(format: OutputFormat, pages: &[EndpointListResp]) -> String {
        let mut p = Printer::new(format, Vec::new());
        for page in pages {
            p.page(
                page.total_count,
                page.endpoints.as_deref().unwrap_or_default(),
            )
            .unwrap();
        }
        String::from_utf8(p.finish().unwrap()).unwrap()
    }

    #[test]
    fn json_streams_exactly_what_serde_pretty_prints() {
        #[derive(Serialize)]
        struct Doc<'a> {
            endpoints: &'a [EndpointResp],
            total_count: i64,
        }
        let page = doc_page();
        for pages in [
            vec![],
            vec![EndpointListResp {
                endpoints: Some(vec![]),
                total_count: Some(0),
            }],
            vec![page.clone()],
            vec![page.clone(), page.clone()],
        ] {
            let got = render(OutputFormat::Json, &pages);
            let endpoints: Vec<EndpointResp> = pages
                .iter()
                .flat_map(|p| p.endpoints.clone().unwrap_or_default())
                .collect();
            let total = pages
                .first()
                .and_then(|p| p.total_count)
                .unwrap_or(endpoints.len() as i64);
            let mut want = serde_json::to_string_pretty(&Doc {
                endpoints: &endpoints,
                total_count: total,
            })
            .unwrap();
            want.push('\n');
            assert_eq!(got, want);
        }
    }

    #[test]
    fn json_normalises_lenient_values() {
        let got = render(OutputFormat::Json, &[doc_page()]);
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        let first = &v["endpoints"][0];
        assert_eq!(first["enable_dns"], serde_json::json!(true));
        assert_eq!(first["enable_whitelist"], serde_json::json!(true));
        assert_eq!(first["dns_names"], serde_json::json!(["test123"]));
        assert_eq!(first["active_status"], serde_json::json!(["active"]));
        assert_eq!(v["endpoints"][1]["service_type"], "gataway");
        assert_eq!(v["total_count"], 17);
    }

    #[test]
    fn jsonl_is_one_compact_object_per_line() {
        let got = render(OutputFormat::Jsonl, &[doc_page(), doc_page()]);
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines.len(), 4);
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["id"].is_string());
        }
        assert!(
            lines[0].starts_with(r#"{"active_status":["active"]"#),
            "{}",
            lines[0]
        );
    }

    /// `policy_document` (in the spec since 2.0.0) and fields the spec does not know yet
    /// (kept in `EndpointResp::extra`) reach `--output json` and `jsonl` as sent.
    #[test]
    fn json_and_jsonl_keep_policy_document_and_unknown_fields() {
        let page: EndpointListResp = serde_json::from_str(
            r#"{"endpoints": [{"id": "a", "status": "deleting",
                "policy_document": {"Version": "5.0", "Statement": [{"Effect": "Allow"}]},
                "policy_statement": [{"Sid": "s1", "Condition": {"Bool": {"k": ["true"]}}}],
                "field_from_the_future": {"nested": [1, null]}}], "total_count": 1}"#,
        )
        .unwrap();
        let want = serde_json::json!({
            "id": "a", "status": "deleting",
            "policy_document": {"Version": "5.0", "Statement": [{"Effect": "Allow"}]},
            "policy_statement": [{"Sid": "s1", "Condition": {"Bool": {"k": ["true"]}}}],
            "field_from_the_future": {"nested": [1, null]}
        });
        let jsonl = render(OutputFormat::Jsonl, std::slice::from_ref(&page));
        let line: serde_json::Value = serde_json::from_str(jsonl.trim_end()).unwrap();
        assert_eq!(line, want);
        let json = render(OutputFormat::Json, &[page]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["endpoints"][0], want);
    }

    #[test]
    fn ids_one_per_line_and_skips_missing() {
        let mut page = doc_page();
        page.endpoints.as_mut().unwrap()[1].id = None;
        let got = render(OutputFormat::Ids, &[page]);
        assert_eq!(got, "03184a04-95d5-4555-86c4-e767a371ff99\n");
    }

    #[test]
    fn table_is_aligned_with_a_footer_when_more_exist() {
        let got = render(OutputFormat::Table, &[doc_page()]);
        let want = "\
ID                                    STATUS    SERVICE NAME  VPC                                   IP             CREATED
03184a04-95d5-4555-86c4-e767a371ff99  accepted  test123       84758cf5-9c62-43ae-a778-3dbd8370c0a4  192.168.0.232  2018-10-18T06:49:46Z
43b0e3b0-eec9-49da-866b-6687b75f9fe5  accepted  test123       e251b400-2963-4131-b38a-da81e32026ee  -              2018-10-18T06:26:40Z
2 of 17 endpoints shown; --all lists every page (or page with --limit and --offset)
";
        assert_eq!(got, want);
    }

    #[test]
    fn table_without_footer_when_complete_and_empty_message() {
        let mut page = doc_page();
        page.total_count = Some(2);
        let got = render(OutputFormat::Table, &[page]);
        assert_eq!(got.lines().count(), 3);
        let empty = render(
            OutputFormat::Table,
            &[EndpointListResp {
                endpoints: Some(vec![]),
                total_count: Some(0),
            }],
        );
        assert_eq!(empty, "No endpoints found.\n");
    }

    #[test]
    fn table_neutralises_control_characters() {
        let mut page = doc_page();
        page.total_count = Some(2);
        page.endpoints.as_mut().unwrap()[0].endpoint_service_name =
            Some("evil\n\u{1b}[31mname".to_owned());
        let got = render(OutputFormat::Table, &[page]);
        assert_eq!(got.lines().count(), 3);
        assert!(got.contains("evil \\u{1b}[31mname"), "{got}");
        assert!(!got.contains('\u{1b}'));
    }

    /// A listing of several targets tags each record with its target (issue 22): with the
    /// catalog extended by [`TARGET_FIELDS`], `--fields` prints them in every format.
    #[test]
    fn fields_of_the_target_of_a_listing_of_several_are_printed() {
        let page: EndpointListResp = serde_json::from_str(
            r#"{"endpoints": [{"id": "a", "status": "accepted"}], "total_count": 1}"#,
        )
        .unwrap();
        let north = TargetId::new(
            Some("acme".into()),
            Some("cn-north-4".into()),
            Some("p1".into()),
        );
        let south = TargetId::new(Some("acme".into()), Some("ap-southeast-1".into()), None);
        let catalog = crate::fields::Catalog::endpoint().with_fields(&TARGET_FIELDS);
        let fields = catalog
            .parse("target.account,target.region,id,status")
            .unwrap();
        let render_fields = |format| {
            let mut p = Printer::with_shape(format, Shape::Fields(fields.clone()), Vec::new());
            for target in [&north, &south] {
                p.target_page(target, page.endpoints.as_deref().unwrap())
                    .unwrap();
            }
            String::from_utf8(p.finish().unwrap()).unwrap()
        };
        assert_eq!(
            render_fields(OutputFormat::Csv),
            "target.account,target.region,id,status\r\nacme,cn-north-4,a,accepted\r\nacme,ap-southeast-1,a,accepted\r\n"
        );
        assert_eq!(
            render_fields(OutputFormat::Jsonl),
            "{\"target.account\":\"acme\",\"target.region\":\"cn-north-4\",\"id\":\"a\",\"status\":\"accepted\"}\n\
             {\"target.account\":\"acme\",\"target.region\":\"ap-southeast-1\",\"id\":\"a\",\"status\":\"accepted\"}\n"
        );
        assert_eq!(
            render_fields(OutputFormat::Table),
            "TARGET.ACCOUNT  TARGET.REGION   ID  STATUS\n\
             acme            cn-north-4      a   accepted\n\
             acme            ap-southeast-1  a   accepted\n"
        );
        // The whole target object too, as JSON in its cell.
        let fields = catalog.parse("id,target").unwrap();
        let mut p = Printer::with_shape(OutputFormat::Csv, Shape::Fields(fields), Vec::new());
        p.target_page(&south, page.endpoints.as_deref().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(p.finish().unwrap()).unwrap(),
            "id,target\r\na,\"{\"\"account\"\":\"\"acme\"\",\"\"project_id\"\":null,\"\"region\"\":\"\"ap-southeast-1\"\"}\"\r\n"
        );
        // Not fields of a listing of one target.
        assert!(crate::fields::Catalog::endpoint()
            .parse("target.region")
            .is_err());
    }

    #[test]
    fn every_format_flushes_per_page() {
        struct CountFlushes(usize);
        impl Write for CountFlushes {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                self.0 += 1;
                Ok(())
            }
        }
        for format in [OutputFormat::Json, OutputFormat::Jsonl, OutputFormat::Ids] {
            let mut p = Printer::new(format, CountFlushes(0));
            p.page(Some(4), doc_page().endpoints.as_deref().unwrap())
                .unwrap();
            p.page(Some(4), doc_page().endpoints.as_deref().unwrap())
                .unwrap();
            assert_eq!(p.out.0, 2, "{format:?}");
            assert_eq!(p.count(), 4);
        }
    }
}
