//! The two request tabs as the original lays them out (integrations.md §6.3), A1 ranges, row
//! parsing and the once-only decision. Pure functions, unit-tested below.
//!
//! Refunds (data from row 4): 0 form response id, 1 request date, 2 learner email, 3 Zendesk
//! ticket, 4 requester email, 5 product id, 6 order reference number, 7 order type, 8 finance
//! email, 9 finance approval date, 10 finance notes, 11 processor, 13 completed date, 14 errors,
//! 15 skip. Deferrals (data from row 5): 0 response id, 1 date, 2 learner email, 3 Zendesk, 4
//! requester, 5 from courseware id, 6 to courseware id, 7 processor, 8 completed date, 9 errors,
//! 10 skip. Only the last [`LAST_ROWS`] rows are read.

use serde_json::{Value, json};

/// How many of the newest rows each run reads (`PROCESS_ONLY_LAST_ROWS_NUM`).
pub const LAST_ROWS: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Refund,
    Deferral,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Refund => "refund",
            Kind::Deferral => "deferral",
        }
    }

    pub fn layout(self) -> Layout {
        match self {
            Kind::Refund => Layout {
                first_row: 4,
                columns: 16,
                form_input: 1..8,
                processor: 11,
                completed: 13,
                error: 14,
                skip: 15,
            },
            Kind::Deferral => Layout {
                first_row: 5,
                columns: 11,
                form_input: 1..7,
                processor: 7,
                completed: 8,
                error: 9,
                skip: 10,
            },
        }
    }

    /// Column headings (the sandbox's header row).
    pub fn headings(self) -> &'static [&'static str] {
        match self {
            Kind::Refund => &[
                "Form response ID",
                "Request date",
                "Learner email",
                "Zendesk ticket",
                "Requester email",
                "Product ID",
                "Order reference number",
                "Order type",
                "Finance email",
                "Finance approval date",
                "Finance notes",
                "Processor",
                "Refund date",
                "Completed date",
                "Errors",
                "Skip",
            ],
            Kind::Deferral => &[
                "Form response ID",
                "Request date",
                "Learner email",
                "Zendesk ticket",
                "Requester email",
                "From course run",
                "To course run",
                "Processor",
                "Completed date",
                "Errors",
                "Skip",
            ],
        }
    }
}

/// Where a tab's data and bookkeeping columns are (0-based columns, 1-based rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub first_row: usize,
    pub columns: usize,
    pub form_input: std::ops::Range<usize>,
    pub processor: usize,
    pub completed: usize,
    pub error: usize,
    pub skip: usize,
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
pub fn column_letter(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// `'Tab'!A1` quoting (a `'` in the name is doubled).
pub fn quoted(tab: &str) -> String {
    format!("'{}'", tab.replace('\'', "''"))
}

/// The range a run reads: every row from the first data row, all the tab's columns.
pub fn read_range(tab: &str, layout: &Layout) -> String {
    format!(
        "{}!A{}:{}",
        quoted(tab),
        layout.first_row,
        column_letter(layout.columns - 1)
    )
}

/// A parsed A1 range: tab, first cell (row, col), last cell (row or open, col).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A1 {
    pub tab: String,
    pub start: (usize, usize),
    pub end_row: Option<usize>,
    pub end_col: usize,
}

fn cell(s: &str) -> Option<(Option<usize>, usize)> {
    let split = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let col = letters
        .bytes()
        .fold(0usize, |a, b| a * 26 + usize::from(b - b'A') + 1)
        - 1;
    let row = if digits.is_empty() {
        None
    } else {
        Some(digits.parse::<usize>().ok().filter(|r| *r >= 1)?)
    };
    Some((row, col))
}

/// Parses `'Tab'!A4:P`, `Tab!L5:O5`, `Tab!O5`.
pub fn parse_a1(range: &str) -> Option<A1> {
    let (tab, cells) = range.rsplit_once('!')?;
    let tab = match tab.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => tab.to_owned(),
    };
    let (first, last) = cells.split_once(':').unwrap_or((cells, cells));
    let (Some(row), col) = cell(first)? else {
        return None;
    };
    let (end_row, end_col) = cell(last)?;
    if end_col < col || end_row.is_some_and(|r| r < row) {
        return None;
    }
    Some(A1 {
        tab,
        start: (row, col),
        end_row,
        end_col,
    })
}

/// What a request row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Refund {
        learner_email: String,
        order_reference: String,
    },
    Deferral {
        learner_email: String,
        from: String,
        to: Option<String>,
    },
}

/// One request row read from a tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub kind: Kind,
    pub row_number: usize,
    pub form_response_id: i64,
    /// The form-input columns, as a JSON array of strings (compared to notice changed data).
    pub raw: Value,
    pub ask: Ask,
    /// What the error column says now.
    pub error_cell: String,
}

/// A row of a tab, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Nothing in the row.
    Blank,
    /// Skip flag TRUE or a completed date: left alone.
    Ignored,
    /// A row that cannot be read; the message goes to its error column.
    Invalid {
        row_number: usize,
        message: String,
        error_cell: String,
    },
    Request(RequestRow),
}

fn at(cells: &[String], i: usize) -> &str {
    cells.get(i).map_or("", |s| s.trim())
}

/// Classifies one row (`cells` as the API returned them, trailing blanks omitted).
pub fn parse_row(kind: Kind, row_number: usize, cells: &[String]) -> Parsed {
    let l = kind.layout();
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Parsed::Blank;
    }
    if at(cells, l.skip).eq_ignore_ascii_case("TRUE") || !at(cells, l.completed).is_empty() {
        return Parsed::Ignored;
    }
    let error_cell = at(cells, l.error).to_owned();
    let invalid = |message: String| Parsed::Invalid {
        row_number,
        message,
        error_cell: error_cell.clone(),
    };
    let Ok(form_response_id) = at(cells, 0).parse::<i64>() else {
        return invalid(format!(
            "Row {row_number}: the form response id `{}` is not a number",
            at(cells, 0)
        ));
    };
    let learner_email = at(cells, 2).to_owned();
    if !learner_email.contains('@') {
        return invalid(format!("Row {row_number}: no learner email"));
    }
    let ask = match kind {
        Kind::Refund => {
            let order_reference = at(cells, 6).to_owned();
            if order_reference.is_empty() {
                return invalid(format!("Row {row_number}: no order reference number"));
            }
            Ask::Refund {
                learner_email,
                order_reference,
            }
        }
        Kind::Deferral => {
            let from = at(cells, 5).to_owned();
            if from.is_empty() {
                return invalid(format!("Row {row_number}: no course run to defer from"));
            }
            let to = Some(at(cells, 6).to_owned()).filter(|t| !t.is_empty());
            Ask::Deferral {
                learner_email,
                from,
                to,
            }
        }
    };
    let raw = json!(l.form_input.clone().map(|i| at(cells, i)).collect::<Vec<_>>());
    Parsed::Request(RequestRow {
        kind,
        row_number,
        form_response_id,
        raw,
        ask,
        error_cell,
    })
}

/// The request's state as recorded here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Processing,
    Processed,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Processing => "processing",
            Status::Processed => "processed",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "processed" => Status::Processed,
            "failed" => Status::Failed,
            _ => Status::Processing,
        }
    }
}

/// What we remember of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub id: i64,
    pub raw: Value,
    pub status: Status,
    pub message: String,
    pub written_back: bool,
}

/// What to do with a request row this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Apply it (new, or failed before and since changed or its error cleared).
    Process,
    /// Done before but the sheet does not show it yet: write the outcome back again.
    WriteBack,
    /// Applying it was interrupted: record a failure for staff to check, never re-apply blind.
    Interrupted,
    Nothing,
}

/// Each row is applied once: a processed request never again; a failed one again only when
/// its form data changed or staff cleared its error in the sheet.
pub fn decide(recorded: Option<&Recorded>, row: &RequestRow) -> Action {
    let Some(r) = recorded else {
        return Action::Process;
    };
    match r.status {
        Status::Processing => Action::Interrupted,
        Status::Processed if r.written_back => Action::Nothing,
        Status::Processed => Action::WriteBack,
        Status::Failed if r.raw != row.raw => Action::Process,
        Status::Failed if !r.written_back => Action::WriteBack,
        Status::Failed if row.error_cell.is_empty() => Action::Process,
        Status::Failed => Action::Nothing,
    }
}

/// The cells a row's outcome writes: `(range, values)` for `values.batchUpdate`. Success:
/// processor, completion date (a sheet `DATE` formula) and an empty error, over
/// `<processor>:<error>` (cells in between left as they are); failure: the error cell.
pub fn write_back(
    tab: &str,
    kind: Kind,
    row_number: usize,
    outcome: Result<&str, &str>,
    today: chrono::NaiveDate,
) -> (String, Vec<Value>) {
    use chrono::Datelike as _;
    let l = kind.layout();
    match outcome {
        Ok(processor) => {
            let mut values = vec![Value::Null; l.error - l.processor + 1];
            values[0] = json!(processor);
            values[l.completed - l.processor] = json!(format!(
                "=DATE({},{},{})",
                today.year(),
                today.month(),
                today.day()
            ));
            values[l.error - l.processor] = json!("");
            let range = format!(
                "{}!{}{row_number}:{}{row_number}",
                quoted(tab),
                column_letter(l.processor),
                column_letter(l.error)
            );
            (range, values)
        }
        Err(message) => (
            format!("{}!{}{row_number}", quoted(tab), column_letter(l.error)),
            vec![json!(message)],
        ),
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
