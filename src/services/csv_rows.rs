//! Shared reading of CSV data files, with errors that name file, line and field.
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("{}: cannot be read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: {problem}", path.display())]
    Row {
        path: PathBuf,
        line: u64,
        problem: String,
    },
    #[error("{}, line {line}, field '{field}': {problem}", path.display())]
    Field {
        path: PathBuf,
        line: u64,
        field: String,
        problem: String,
    },
}

/// Spreadsheet programs save CSV in the Windows code page unless told otherwise.
const NOT_UTF8: &str = "the file is not UTF-8 text (umlauts such as ö are stored differently); \
     save it as \"CSV UTF-8\" and import it again";

/// One parsed row with its line number, so later checks can still point at the file.
pub struct Row<T> {
    pub line: u64,
    pub value: T,
}

pub fn read<T: DeserializeOwned>(path: &Path) -> Result<Vec<Row<T>>, CsvError> {
    read_rows(path, None)
}

/// Like [`read`], but a column whose name is not in `columns` is an error on line 1: a misspelt
/// optional column would otherwise be ignored and its values silently take their default.
pub fn read_known_columns<T: DeserializeOwned>(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<Row<T>>, CsvError> {
    read_rows(path, Some(columns))
}

fn read_rows<T: DeserializeOwned>(
    path: &Path,
    columns: Option<&[&str]>,
) -> Result<Vec<Row<T>>, CsvError> {
    let bytes = std::fs::read(path).map_err(|source| CsvError::Io {
        path: path.to_owned(),
        source,
    })?;
    // Lines are counted here from the byte offset: the csv crate's own line count is one short
    // for files with Windows line ends (\r\n), which spreadsheet programs write. There a record's
    // position is the \n of the line end before it, hence `<=`.
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |position: Option<&csv::Position>| {
        position.map_or(0, |p| {
            newlines.partition_point(|&n| (n as u64) <= p.byte()) as u64 + 1
        })
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = match reader.headers() {
        Ok(headers) => Some(headers.clone()),
        Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
            return Err(CsvError::Row {
                path: path.to_owned(),
                line: 1,
                problem: NOT_UTF8.to_owned(),
            });
        }
        Err(_) => None,
    };
    if let (Some(columns), Some(headers)) = (columns, &headers)
        && let Some(unknown) = headers.iter().find(|h| !columns.contains(h))
    {
        let hint = columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(unknown))
            .map(|c| format!("did you mean '{c}'? "))
            .unwrap_or_default();
        return Err(CsvError::Field {
            path: path.to_owned(),
            line: 1,
            field: unknown.to_owned(),
            problem: format!(
                "unknown column; {hint}the columns are {}",
                columns.join(", ")
            ),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::Utf8 { pos, err } => CsvError::Field {
                path: path.to_owned(),
                line: line_at(pos.as_ref()),
                field: headers
                    .as_ref()
                    .and_then(|h| h.get(err.field()))
                    .map_or_else(|| format!("{}", err.field() + 1), str::to_owned),
                problem: NOT_UTF8.to_owned(),
            },
            _ => CsvError::Row {
                path: path.to_owned(),
                line: line_at(e.position()),
                problem: e.to_string(),
            },
        })?;
        let line = line_at(record.position());
        let value = record
            .deserialize(headers.as_ref())
            .map_err(|e| match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => CsvError::Field {
                    path: path.to_owned(),
                    line,
                    field: err
                        .field()
                        .and_then(|i| headers.as_ref().and_then(|h| h.get(i as usize)))
                        .map(str::to_owned)
                        .unwrap_or_default(),
                    problem: err.kind().to_string(),
                },
                _ => CsvError::Row {
                    path: path.to_owned(),
                    line,
                    problem: e.to_string(),
                },
            })?;
        rows.push(Row { line, value });
    }
    Ok(rows)
}

impl<T> Row<T> {
    /// An error about one field of this row, for checks after deserialising.
    pub fn field_error(&self, path: &Path, field: &str, problem: impl Into<String>) -> CsvError {
        CsvError::Field {
            path: path.to_owned(),
            line: self.line,
            field: field.to_owned(),
            problem: problem.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Place {
        town: String,
        district: String,
    }

    #[test]
    fn a_file_in_the_windows_code_page_names_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        // "Sömmerda" in Windows-1252: ö is the single byte 0xF6.
        std::fs::write(
            &path,
            b"town,district\r\nErfurt,16051\r\nS\xf6mmerda,16068\r\n",
        )
        .unwrap();
        let error = read::<Place>(&path).err().unwrap().to_string();
        assert!(error.contains("p.csv, line 3, field 'town'"), "{error}");
        assert!(error.contains("CSV UTF-8"), "{error}");

        std::fs::write(&path, b"t\xf6wn,district\r\nErfurt,16051\r\n").unwrap();
        let error = read::<Place>(&path).err().unwrap().to_string();
        assert!(error.contains("p.csv, line 1:"), "{error}");
        assert!(error.contains("not UTF-8"), "{error}");
    }
}
