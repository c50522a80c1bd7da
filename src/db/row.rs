//! Row mapping: the stores' "one column a field, in order" mappers written once.

/// Builds a struct from a row's columns in the order of its fields:
/// `from_row!(r, Media { id, title, created_on: t })` is
/// `Ok(Media { id: r.get(0)?, title: r.get(1)?, created_on: t(r.get(2)?) })`: a field may name a
/// function its column goes through. The fields are read in the order written, so the select
/// list and the field list line up one to one. Fields that are not columns follow a `;`, as
/// in a struct literal: `from_row!(r, Course { id, title; runs: vec![], page })`.
macro_rules! from_row {
    ($r:expr, $($ty:ident)::+ {
        $($field:ident $(: $conv:expr)?),+ $(; $($extra:ident $(: $val:expr)?),+)? $(,)?
    }) => {{
        let row: &rusqlite::Row<'_> = $r;
        let mut next = 0usize;
        Ok($($ty)::+ {
            $($field: $crate::db::from_row!(@col row, next $(, $conv)?),)+
            $($($extra $(: $val)?),+)?
        })
    }};
    (@col $row:ident, $next:ident) => {{
        $next += 1;
        $row.get($next - 1)?
    }};
    (@col $row:ident, $next:ident, $conv:expr) => {{
        $next += 1;
        $conv($row.get($next - 1)?)
    }};
}
pub(crate) use from_row;

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, its `%`, `_` and `\` taken literally.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
    )
}

#[cfg(test)]
mod like_tests {
    #[test]
    fn wildcards_in_the_text_are_literal() {
        assert_eq!(super::contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
