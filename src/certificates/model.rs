//! Certificate types: the two kinds of certificate, a stored certificate, grade overrides and
//! the module's error.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::db::DbError;

/// Which table a certificate lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CourseRun,
    Program,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CourseRun => "course_run_certificate",
            Kind::Program => "program_certificate",
        }
    }

    /// The public page of a certificate of this kind (relative to the site root).
    pub fn link(self, uuid: &str) -> String {
        match self {
            Kind::CourseRun => format!("/certificate/{uuid}/"),
            Kind::Program => format!("/certificate/program/{uuid}/"),
        }
    }
}

/// One stored certificate; `object_id` is the run id or the program id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: i64,
    pub kind: Kind,
    pub uuid: String,
    pub user_id: i64,
    pub object_id: i64,
    pub is_revoked: bool,
    pub issue_date: DateTime<Utc>,
    pub revision_id: Option<i64>,
    pub credential_id: Option<String>,
}

impl Certificate {
    pub fn link(&self) -> String {
        self.kind.link(&self.uuid)
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "uuid": self.uuid,
            "user_id": self.user_id,
            "object_id": self.object_id,
            "is_revoked": self.is_revoked,
        })
    }
}

/// What processing one learner's grade did to their certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradeOutcome {
    Created,
    Deleted,
    /// Nothing to do: not eligible, not yet issuable, or already issued (or revoked).
    Unchanged,
}

/// What a certificate job did, for `job_runs`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub runs: usize,
    pub grades: usize,
    pub grades_changed: usize,
    pub created: usize,
    pub deleted: usize,
    pub program_created: usize,
    pub failed: usize,
}

impl Counts {
    /// Adds what one batch did (the run and grade totals are counted where pulled).
    pub fn add(&mut self, n: &Counts) {
        self.grades_changed += n.grades_changed;
        self.created += n.created;
        self.deleted += n.deleted;
        self.program_created += n.program_created;
        self.failed += n.failed;
    }
}

/// A staff grade override, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeOverride {
    pub grade: Decimal,
    pub letter_grade: Option<String>,
    /// Passed only when staff force it (and the grade is not zero), as the original.
    pub force_pass: bool,
}

impl GradeOverride {
    /// Parses the staff form's values; each error names its field.
    pub fn parse(grade: &str, letter: &str, force_pass: bool) -> Result<GradeOverride, CertificateError> {
        let g: Decimal = grade.trim().parse().map_err(|_| CertificateError::Invalid {
            field: "grade",
            message: "Enter a number between 0.0 and 1.0.".into(),
        })?;
        if g < Decimal::ZERO || g > Decimal::ONE {
            return Err(CertificateError::Invalid {
                field: "grade",
                message: "Invalid value for grade. Allowed range: 0.0 - 1.0".into(),
            });
        }
        let letter = letter.trim();
        let letter_grade = match letter {
            "" => None,
            l if l.len() == 1 && ('A'..='F').contains(&l.chars().next().unwrap_or(' ')) => Some(l.to_owned()),
            _ => {
                return Err(CertificateError::Invalid {
                    field: "letter_grade",
                    message: "Invalid letter grade string. Allowed values: A-F".into(),
                });
            }
        };
        Ok(GradeOverride {
            grade: g,
            letter_grade,
            force_pass,
        })
    }

    pub fn passed(&self) -> bool {
        self.force_pass && !self.grade.is_zero()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => CertificateError::Db(DbError::Sqlite));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_overrides_take_0_to_1_and_letters_a_to_f_and_pass_only_when_forced() {
        let o = GradeOverride::parse("0.75", "B", false).unwrap();
        assert!(!o.passed());
        assert!(GradeOverride::parse("0.75", "B", true).unwrap().passed());
        assert!(!GradeOverride::parse("0", "", true).unwrap().passed());
        for (grade, letter, field) in [
            ("1.01", "A", "grade"),
            ("-0.1", "A", "grade"),
            ("x", "A", "grade"),
            ("0.5", "G", "letter_grade"),
            ("0.5", "AB", "letter_grade"),
        ] {
            match GradeOverride::parse(grade, letter, true) {
                Err(CertificateError::Invalid { field: f, .. }) => assert_eq!(f, field, "{grade} {letter}"),
                other => panic!("{grade} {letter}: {other:?}"),
            }
        }
    }
}
