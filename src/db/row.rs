//! Row mapping: the stores' "one column a field, in order" mappers written once.

/// Builds a struct from a row's columns in the order of its fields:
/// `from_row!(r, Media { id, title, sha256 })` is
/// `Ok(Media { id: r.get(0)?, title: r.get(1)?, sha256: r.get(2)? })` (the fields are read in
/// the order written, so the select list and the field list line up one to one).
macro_rules! from_row {
    ($r:expr, $($ty:ident)::+ { $($field:ident),+ $(,)? }) => {{
        let row: &rusqlite::Row<'_> = $r;
        let mut next = 0usize;
        Ok($($ty)::+ {
            $($field: {
                next += 1;
                row.get(next - 1)?
            }),+
        })
    }};
}
pub(crate) use from_row;
