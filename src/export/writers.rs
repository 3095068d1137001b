//! The three file formats behind one trait. Every writer takes rows one at a time and keeps only a
//! buffer in memory, so the size of an export does not change how much memory it needs.
use std::{
    borrow::Cow,
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{
    ExportFormat,
    spreadsheet::{CsvSheet, Numbers, quote_prefix, xlsx_text},
};

/// What a column holds; decides how a value is written and what the schema documentation says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Integer,
    /// A number rounded to this many decimals.
    Decimal(usize),
    Text,
    Boolean,
    /// `YYYY-MM-DD`
    Date,
    /// RFC 3339 with the offset of Europe/Berlin.
    DateTime,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Decimal(_) => "decimal",
            Self::Text => "string",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "datetime",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnType,
}

pub const fn col(name: &'static str, kind: ColumnType) -> Column {
    Column { name, kind }
}

/// One value. `Empty` is a missing or suppressed value: an empty cell, or `null` in JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    Decimal(f64),
    Text(String),
    Bool(bool),
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Self::Empty, Self::Text)
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Self::Int(value.into())
    }
}

impl From<Option<i16>> for Cell {
    fn from(value: Option<i16>) -> Self {
        value.map_or(Self::Empty, |v| Self::Int(v.into()))
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Xlsx(#[from] XlsxError),
    #[error("row has {got} values for {expected} columns")]
    Shape { expected: usize, got: usize },
}

/// A file being written, row by row. `finish` must be called; dropping without it leaves an
/// incomplete file, which the caller's temporary directory removes.
pub trait RowSink: Send {
    fn write_row(&mut self, cells: &[Cell]) -> Result<(), WriteError>;
    fn finish(self: Box<Self>) -> Result<(), WriteError>;
}

pub fn open(
    format: ExportFormat,
    path: &Path,
    sheet_name: &str,
    columns: &'static [Column],
    bom: bool,
) -> Result<Box<dyn RowSink>, WriteError> {
    Ok(match format {
        ExportFormat::Csv => Box::new(CsvSink::create(path, columns, bom)?),
        ExportFormat::Json => Box::new(JsonSink::create(path, columns)?),
        ExportFormat::Xlsx => Box::new(XlsxSink::create(path, sheet_name, columns)?),
    })
}

fn check_shape(columns: &[Column], cells: &[Cell]) -> Result<(), WriteError> {
    if columns.len() == cells.len() {
        Ok(())
    } else {
        Err(WriteError::Shape {
            expected: columns.len(),
            got: cells.len(),
        })
    }
}

fn decimal_text(value: f64, places: usize) -> Option<String> {
    value.is_finite().then(|| format!("{value:.places$}"))
}

fn rounded(value: f64, places: usize) -> f64 {
    let factor = 10f64.powi(places as i32);
    (value * factor).round() / factor
}

/// RFC 4180 through the shared spreadsheet writer: comma, double quotes where needed, CRLF line
/// ends, formula-like text escaped.
struct CsvSink {
    sheet: CsvSheet<BufWriter<File>>,
}

impl CsvSink {
    fn create(path: &Path, columns: &'static [Column], bom: bool) -> Result<Self, WriteError> {
        let sheet = CsvSheet::new(
            BufWriter::new(File::create(path)?),
            bom,
            Numbers::Plain,
            columns.iter().map(|c| (c.name, c.kind)),
        )?;
        Ok(Self { sheet })
    }
}

impl RowSink for CsvSink {
    fn write_row(&mut self, cells: &[Cell]) -> Result<(), WriteError> {
        self.sheet.write_row(cells)
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        let file = self.sheet.into_inner()?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }
}

/// One JSON array of objects, written as it goes: `[`, objects separated by commas, `]`.
struct JsonSink {
    out: BufWriter<File>,
    columns: &'static [Column],
    first: bool,
}

impl JsonSink {
    fn create(path: &Path, columns: &'static [Column]) -> Result<Self, WriteError> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(b"[")?;
        Ok(Self {
            out,
            columns,
            first: true,
        })
    }
}

fn json_err(e: serde_json::Error) -> WriteError {
    WriteError::Io(e.into())
}

impl RowSink for JsonSink {
    fn write_row(&mut self, cells: &[Cell]) -> Result<(), WriteError> {
        check_shape(self.columns, cells)?;
        self.out
            .write_all(if self.first { b"\n{" } else { b",\n{" })?;
        self.first = false;
        for (i, (cell, column)) in cells.iter().zip(self.columns).enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, column.name).map_err(json_err)?;
            self.out.write_all(b":")?;
            match cell {
                Cell::Empty => self.out.write_all(b"null")?,
                Cell::Int(v) => write!(self.out, "{v}")?,
                Cell::Decimal(v) => {
                    let places = match column.kind {
                        ColumnType::Decimal(p) => p,
                        _ => 2,
                    };
                    match decimal_text(*v, places) {
                        Some(text) => self.out.write_all(text.as_bytes())?,
                        None => self.out.write_all(b"null")?,
                    }
                }
                Cell::Text(v) => serde_json::to_writer(&mut self.out, v).map_err(json_err)?,
                Cell::Bool(v) => self.out.write_all(if *v { b"true" } else { b"false" })?,
            }
        }
        self.out.write_all(b"}")?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        let mut out = self.out;
        out.write_all(b"\n]\n")?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }
}

/// Excel's limits: rows per sheet and characters per cell.
const XLSX_MAX_ROWS: u32 = 1_048_576;
const XLSX_MAX_CHARS: usize = 32_767;

/// Constant-memory mode: each row goes to a temporary file as soon as the next one starts, and
/// strings are stored inline instead of in a shared table that grows with the file.
struct XlsxSink {
    workbook: Workbook,
    path: std::path::PathBuf,
    sheet_name: String,
    columns: &'static [Column],
    header: Format,
    /// For text that looks like a formula (see [`xlsx_text`]).
    quote: Format,
    sheet: usize,
    row: u32,
}

impl XlsxSink {
    fn create(
        path: &Path,
        sheet_name: &str,
        columns: &'static [Column],
    ) -> Result<Self, WriteError> {
        let mut workbook = Workbook::new();
        // Its temporary files go next to the result, so a failed export leaves nothing elsewhere.
        if let Some(dir) = path.parent() {
            workbook.set_tempdir(dir)?;
        }
        let mut sink = Self {
            workbook,
            path: path.to_owned(),
            sheet_name: sheet_name.to_owned(),
            columns,
            header: Format::new().set_bold(),
            quote: quote_prefix(),
            sheet: 0,
            row: 0,
        };
        sink.add_sheet()?;
        Ok(sink)
    }

    /// The first sheet is named after the file; more rows than one sheet takes continue on `name_2`, …
    fn add_sheet(&mut self) -> Result<(), WriteError> {
        let name = if self.workbook.worksheets().is_empty() {
            truncate_sheet_name(&self.sheet_name, 0)
        } else {
            truncate_sheet_name(&self.sheet_name, self.workbook.worksheets().len() + 1)
        };
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (c, column) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, column.name, &self.header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.sheet = self.workbook.worksheets().len() - 1;
        self.row = 1;
        Ok(())
    }
}

/// Sheet names may have at most 31 characters.
fn truncate_sheet_name(name: &str, number: usize) -> String {
    let suffix = if number == 0 {
        String::new()
    } else {
        format!("_{number}")
    };
    let keep = 31 - suffix.len();
    format!("{}{suffix}", name.chars().take(keep).collect::<String>())
}

impl RowSink for XlsxSink {
    fn write_row(&mut self, cells: &[Cell]) -> Result<(), WriteError> {
        check_shape(self.columns, cells)?;
        if self.row >= XLSX_MAX_ROWS {
            self.add_sheet()?;
        }
        let row = self.row;
        let columns = self.columns;
        let quote = &self.quote;
        // Split borrows: the sheet from the workbook, the format from its own field.
        let sheet = self.workbook.worksheet_from_index(self.sheet)?;
        for (c, (cell, column)) in cells.iter().zip(columns).enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Int(v) => {
                    sheet.write_number(row, c, *v as f64)?;
                }
                Cell::Decimal(v) => {
                    let places = match column.kind {
                        ColumnType::Decimal(p) => p,
                        _ => 2,
                    };
                    if v.is_finite() {
                        sheet.write_number(row, c, rounded(*v, places))?;
                    }
                }
                Cell::Text(v) => {
                    let text: Cow<str> = if v.chars().count() > XLSX_MAX_CHARS {
                        Cow::Owned(v.chars().take(XLSX_MAX_CHARS).collect())
                    } else {
                        Cow::Borrowed(v)
                    };
                    xlsx_text(sheet, row, c, &text, quote)?;
                }
                Cell::Bool(v) => {
                    sheet.write_boolean(row, c, *v)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        let mut this = *self;
        this.workbook.save(&this.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        col("name", ColumnType::Text),
        col("count", ColumnType::Integer),
        col("average", ColumnType::Decimal(1)),
    ];

    #[test]
    fn csv_quotes_per_rfc_4180_and_json_writes_null_for_empty() {
        let dir = tempfile::tempdir().unwrap();
        let rows = [
            vec![
                Cell::from("Gera, \"Ost\""),
                Cell::Int(7),
                Cell::Decimal(4.26),
            ],
            vec![Cell::from("Jena"), Cell::Empty, Cell::Empty],
        ];
        for format in [ExportFormat::Csv, ExportFormat::Json] {
            let path = dir.path().join(format!("t.{}", format.extension()));
            let mut sink = open(format, &path, "t", COLUMNS, false).unwrap();
            for row in &rows {
                sink.write_row(row).unwrap();
            }
            sink.finish().unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            match format {
                ExportFormat::Csv => assert_eq!(
                    text,
                    "name,count,average\r\n\"Gera, \"\"Ost\"\"\",7,4.3\r\nJena,,\r\n"
                ),
                _ => {
                    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(json[0]["name"], "Gera, \"Ost\"");
                    assert_eq!(json[0]["average"], 4.3);
                    assert!(json[1]["count"].is_null());
                }
            }
        }
    }

    #[test]
    fn wrong_row_shape_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = open(
            ExportFormat::Csv,
            &dir.path().join("t.csv"),
            "t",
            COLUMNS,
            false,
        )
        .unwrap();
        assert!(sink.write_row(&[Cell::Empty]).is_err());
    }
}
