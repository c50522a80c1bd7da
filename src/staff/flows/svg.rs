//! The map drawn as inline SVG: our box on the left, one arrow per flow to its partner on the
//! right, coloured by health, each arrow a link to what feeds it. No JavaScript.

use maud::{Markup, PreEscaped, html};

use super::model::{FlowStatus, Health};

const ROW: i64 = 46;
const TOP: i64 = 20;
const WIDTH: i64 = 760;

/// The stroke colour of a health (WCAG AA contrast on white).
pub fn colour(h: Health) -> &'static str {
    match h {
        Health::Idle => "#57606a",
        Health::Ok => "#1a7f37",
        Health::Degraded => "#9a6700",
        Health::Failing => "#cf222e",
    }
}

const ALL: [Health; 4] = [Health::Idle, Health::Ok, Health::Degraded, Health::Failing];

pub fn map(flows: &[FlowStatus], link: impl Fn(&FlowStatus) -> String) -> Markup {
    let height = TOP * 2 + ROW * flows.len() as i64;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {height}")) width="100%"
            role="img" aria-labelledby="flows-map-title" class="flows-map" {
            title id="flows-map-title" { "Data flows between MITx Online and its partners, coloured by health" }
            defs {
                @for h in ALL {
                    marker id=(format!("head-{}", h.as_str())) viewBox="0 0 10 10" refX="9" refY="5"
                        markerWidth="8" markerHeight="8" orient="auto-start-reverse" {
                        path d="M0,0 L10,5 L0,10 z" fill=(colour(h)) {}
                    }
                }
            }
            rect x="0" y=(TOP - 10) width="150" height=(height - 2 * TOP + 20) rx="8" fill="#f6f8fa" stroke="#57606a" {}
            text x="75" y=(height / 2) text-anchor="middle" font-weight="bold" { "MITx Online" }
            @for (i, f) in flows.iter().enumerate() {
                @let y = TOP + ROW * i as i64 + ROW / 2;
                @let c = colour(f.health);
                @let head = PreEscaped(format!("url(#head-{})", f.health.as_str()));
                a href=(link(f)) data-flow=(f.id) data-health=(f.health.as_str()) {
                    title { (f.partner) ": " (f.label) " — " (f.health.as_str()) }
                    @if f.outbound {
                        line x1="152" y1=(y) x2="560" y2=(y) stroke=(c) stroke-width="3" marker-end=(head) {}
                    } @else {
                        line x1="154" y1=(y) x2="560" y2=(y) stroke=(c) stroke-width="3" marker-start=(head) {}
                    }
                    text x="170" y=(y - 7) font-size="13" fill=(c) { (f.label) " · " (f.health.as_str()) }
                    rect x="562" y=(y - 15) width="196" height="30" rx="6" fill="#ffffff" stroke=(c) stroke-width="2" {}
                    text x="660" y=(y + 5) text-anchor="middle" font-size="13" { (f.partner) }
                }
            }
        }
    }
}
