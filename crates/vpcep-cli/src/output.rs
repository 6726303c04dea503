//! Output formats. A [`Printer`] receives pages as they arrive and writes them in one of
//! the formats; everything here works on any `io::Write`, so it is unit-tested on buffers.
//!
//! - `json`, `jsonl` and `ids` stream: each page is written (and flushed) as it arrives,
//!   so memory stays bounded by a page whatever the number of endpoints. `json` is written
//!   piece by piece yet byte-for-byte what `serde_json::to_writer_pretty` gives for the
//!   whole `{"endpoints": [...], "total_count": N}` document.
//! - `table` keeps only the six displayed strings per endpoint until the end, when the
//!   column widths are known.

use std::io::{self, Write};

use serde::Serialize;
use vpcep_client::estate::TargetId;
use vpcep_client::terminal::{is_terminal_safe, printable};
use vpcep_client::types::EndpointResp;

use crate::args::OutputFormat;

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

/// An endpoint with its target, serialised as the endpoint's object plus [`TARGET_FIELD`].
#[derive(Serialize)]
struct Tagged<'a> {
    #[serde(flatten)]
    endpoint: &'a EndpointResp,
    target: &'a TargetId,
}

/// Writes endpoints in one format as pages arrive.
pub struct Printer<W: Write> {
    format: OutputFormat,
    out: W,
    /// `total_count` of the first page that had one.
    total_count: Option<i64>,
    /// Endpoints written (or kept, for the table).
    count: u64,
    /// `json`: whether the opening `{"endpoints": [` was written.
    json_open: bool,
    /// `table`: the rows.
    rows: Vec<[String; 6]>,
    /// Endpoints without an ID that `ids` skipped.
    skipped_without_id: u64,
    /// `table` of several targets: the target columns of each row.
    target_cells: Vec<[String; 3]>,
}

impl<W: Write> Printer<W> {
    /// A printer writing `format` to `out`.
    pub fn new(format: OutputFormat, out: W) -> Self {
        Printer {
            format,
            out,
            total_count: None,
            count: 0,
            json_open: false,
            rows: Vec::new(),
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
    /// from ([`TARGET_FIELD`] in JSON, the [`TARGET_HEADERS`] columns in the table).
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
        match self.format {
            OutputFormat::Table => {
                self.rows.extend(endpoints.iter().map(table_row));
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
            OutputFormat::Json => {
                for endpoint in endpoints {
                    self.json_element(endpoint, target)?;
                }
            }
            OutputFormat::Jsonl => {
                for endpoint in endpoints {
                    let formatter = TerminalSafeJson(serde_json::ser::CompactFormatter);
                    let mut ser = serde_json::Serializer::with_formatter(&mut self.out, formatter);
                    match target {
                        Some(target) => Tagged { endpoint, target }.serialize(&mut ser)?,
                        None => endpoint.serialize(&mut ser)?,
                    }
                    self.out.write_all(b"\n")?;
                }
            }
            OutputFormat::Ids => {
                for endpoint in endpoints {
                    match &endpoint.id {
                        Some(id) => writeln!(self.out, "{}", printable(id))?,
                        None => self.skipped_without_id += 1,
                    }
                }
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
        match self.format {
            OutputFormat::Table if !self.target_cells.is_empty() => {
                let rows: Vec<[String; 9]> = self
                    .target_cells
                    .iter()
                    .zip(&self.rows)
                    .map(|(target, row)| {
                        let mut cells = target.iter().chain(row).cloned();
                        std::array::from_fn(|_| cells.next().unwrap_or_default())
                    })
                    .collect();
                let mut headers = TARGET_HEADERS.iter().chain(&TABLE_HEADERS).copied();
                let headers: [&str; 9] = std::array::from_fn(|_| headers.next().unwrap_or(""));
                write_table_with(&mut self.out, headers, &rows)?;
            }
            OutputFormat::Table => {
                write_table(&mut self.out, &self.rows)?;
                let shown = self.rows.len() as i64;
                if let Some(total) = self.total_count.filter(|&t| t > shown) {
                    writeln!(
                        self.out,
                        "{shown} of {total} endpoints shown; --all lists every page \
                         (or page with --limit and --offset)"
                    )?;
                }
            }
            OutputFormat::Json => {
                let total = self.total_count.unwrap_or(self.count as i64);
                if self.json_open {
                    self.out.write_all(b"\n  ],\n")?;
                } else {
                    self.out.write_all(b"{\n  \"endpoints\": [],\n")?;
                }
                writeln!(self.out, "  \"total_count\": {total}\n}}")?;
            }
            OutputFormat::Jsonl => {}
            OutputFormat::Ids => {
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

    /// One element of the `endpoints` array, indented as `to_writer_pretty` would.
    fn json_element(
        &mut self,
        endpoint: &EndpointResp,
        target: Option<&TargetId>,
    ) -> io::Result<()> {
        if self.json_open {
            self.out.write_all(b",\n")?;
        } else {
            self.out.write_all(b"{\n  \"endpoints\": [\n")?;
            self.json_open = true;
        }
        let mut buf = Vec::with_capacity(1024);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut buf,
            TerminalSafeJson(serde_json::ser::PrettyFormatter::with_indent(b"  ")),
        );
        match target {
            Some(target) => Tagged { endpoint, target }.serialize(&mut ser)?,
            None => endpoint.serialize(&mut ser)?,
        }
        // JSON strings never hold a raw newline, so every newline is a line break.
        for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"    ")?;
            self.out.write_all(line)?;
        }
        Ok(())
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

/// Writes aligned columns (two spaces apart, no trailing spaces), or a line saying there
/// is nothing to show.
pub fn write_table<W: Write>(out: &mut W, rows: &[[String; 6]]) -> io::Result<()> {
    write_table_with(out, TABLE_HEADERS, rows)
}

/// [`write_table`] with any headers.
fn write_table_with<W: Write, const N: usize>(
    out: &mut W,
    headers: [&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No endpoints found.");
    }
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let headers = headers.map(str::to_owned);
    for row in std::iter::once(&headers).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
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
