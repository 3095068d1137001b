//! The one way the portal writes spreadsheets: the export's CSV and XLSX files, the participant lists
//! and the volunteers' hours sheets. Text in them comes from the public (proposal titles, feedback,
//! names), so no cell may reach a spreadsheet program as a formula (OWASP "CSV injection").
use std::{borrow::Cow, io::Write};

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use super::writers::{Cell, ColumnType, WriteError};
use crate::{domain::Language, i18n::format_decimal};

/// What makes a spreadsheet program read a cell as a formula; tab and CR are stripped by some
/// programs before they look at the first character.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub fn starts_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// Text for a CSV cell: an apostrophe in front of anything a spreadsheet program would run.
pub fn formula_safe(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// How numbers are written into a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// `1234.5`, for programs reading the export.
    Plain,
    /// In the reader's language (`1234,5` in German), for people opening a download in a spreadsheet.
    Local(Language),
}

/// A CSV file (RFC 4180, comma, CRLF) written row by row: header row first, text made formula-safe,
/// numbers written as numbers (a negative number stays a number).
pub struct CsvSheet<W: Write> {
    writer: csv::Writer<W>,
    kinds: Vec<ColumnType>,
    numbers: Numbers,
}

impl<W: Write> CsvSheet<W> {
    /// `bom` starts the file with a UTF-8 byte order mark: Excel reads a CSV file as Windows-1252
    /// without one. `columns` are the (already translated) headers and what each column holds.
    pub fn new<H: AsRef<str>>(
        mut out: W,
        bom: bool,
        numbers: Numbers,
        columns: impl IntoIterator<Item = (H, ColumnType)>,
    ) -> Result<Self, WriteError> {
        if bom {
            out.write_all("\u{FEFF}".as_bytes())?;
        }
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let mut kinds = Vec::new();
        for (header, kind) in columns {
            writer.write_field(&*formula_safe(header.as_ref()))?;
            kinds.push(kind);
        }
        writer.write_record(None::<&[u8]>)?;
        Ok(Self {
            writer,
            kinds,
            numbers,
        })
    }

    pub fn write_row(&mut self, cells: &[Cell]) -> Result<(), WriteError> {
        if cells.len() != self.kinds.len() {
            return Err(WriteError::Shape {
                expected: self.kinds.len(),
                got: cells.len(),
            });
        }
        for (cell, kind) in cells.iter().zip(&self.kinds) {
            match cell {
                Cell::Empty => self.writer.write_field("")?,
                Cell::Int(v) => self.writer.write_field(v.to_string())?,
                Cell::Decimal(v) => {
                    let places = match kind {
                        ColumnType::Decimal(p) => *p,
                        _ => 2,
                    };
                    let text = match (v.is_finite(), self.numbers) {
                        (false, _) => String::new(),
                        (true, Numbers::Plain) => format!("{v:.places$}"),
                        (true, Numbers::Local(lang)) => format_decimal(*v, places, lang),
                    };
                    self.writer.write_field(text)?
                }
                Cell::Text(v) => self.writer.write_field(&*formula_safe(v))?,
                Cell::Bool(v) => self.writer.write_field(if *v { "true" } else { "false" })?,
            }
        }
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and hands back the output.
    pub fn into_inner(self) -> Result<W, WriteError> {
        self.writer
            .into_inner()
            .map_err(|e| WriteError::Io(e.into_error()))
    }
}

/// Writes text into an XLSX cell as a string, never as a formula. Text that looks like one also
/// gets Excel's quote prefix (`quote`, a format with `set_quote_prefix`), so it stays text when
/// someone edits the cell.
pub fn xlsx_text(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    text: &str,
    quote: &Format,
) -> Result<(), XlsxError> {
    if starts_like_formula(text) {
        sheet.write_string_with_format(row, column, text, quote)?;
    } else {
        sheet.write_string(row, column, text)?;
    }
    Ok(())
}

/// The format [`xlsx_text`] needs for formula-like text.
pub fn quote_prefix() -> Format {
    Format::new().set_quote_prefix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_an_apostrophe_and_nothing_else_changes() {
        for text in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(formula_safe(text), format!("'{text}"));
        }
        for text in ["Gera", "", " =1", "'=1", "1-2", "a@b.de"] {
            assert_eq!(formula_safe(text), text);
        }
    }

    #[test]
    fn csv_escapes_text_and_headers_but_keeps_numbers_numbers() {
        let mut sheet = CsvSheet::new(
            Vec::new(),
            true,
            Numbers::Local(Language::De),
            [
                ("=Name", ColumnType::Text),
                ("Saldo", ColumnType::Integer),
                ("Stunden", ColumnType::Decimal(2)),
            ],
        )
        .unwrap();
        sheet
            .write_row(&[Cell::from("@SUM(A1)"), Cell::Int(-3), Cell::Decimal(-1.5)])
            .unwrap();
        let text = String::from_utf8(sheet.into_inner().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}'=Name,Saldo,Stunden\r\n'@SUM(A1),-3,\"-1,50\"\r\n"
        );
    }
}
