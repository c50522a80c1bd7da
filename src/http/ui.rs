//! Small maud components the staff pages share: hidden form inputs and the table of revocable
//! credentials (API keys, access tokens).

use maud::{Markup, html};

use super::page::PageCtx;

/// `<input type="hidden">` for each `(name, value)` pair, in order.
pub fn hidden_inputs(pairs: &[(&str, &str)]) -> Markup {
    html! { @for (name, value) in pairs { input type="hidden" name=(name) value=(value); } }
}

/// One row of [`revocable_table`]: its leading cells, when it was revoked, where its revoke
/// form posts and what the revoke button says.
pub struct RevocableRow<'a> {
    pub cells: Markup,
    pub revoked_on: Option<&'a str>,
    pub revoke_url: String,
    pub button: Markup,
}

/// A table of credentials: the `heads` columns, then a status column (active or revoked) and a
/// revoke button for those still active.
pub fn revocable_table(ctx: &PageCtx, heads: &[&str], rows: &[RevocableRow<'_>]) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                thead { tr { @for h in heads { th { (h) } } th { "Status" } th { span class="visually-hidden" { "Actions" } } } }
                tbody {
                    @for row in rows {
                        tr {
                            (row.cells)
                            td { @if let Some(r) = row.revoked_on { "revoked " (r) } @else { "active" } }
                            td {
                                @if row.revoked_on.is_none() {
                                    form method="post" action=(row.revoke_url) {
                                        input type="hidden" name="csrfmiddlewaretoken" value=[ctx.csrf_token.as_deref()];
                                        button type="submit" { (row.button) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
