//! A learner's side of the HTTP conversation, as the benches play it: signed in through the
//! gateway's `X-Userinfo` header (with the CSRF pair a browser would send), and a certificate
//! bought from the basket through the sandbox CyberSource's pay page to the signed result.

use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

const CSRF: &str = "benchbenchbenchbenchbenchbench12";

pub fn email(who: &str, n: usize) -> String {
    format!("bench-{who}{n}@example.com")
}

pub fn userinfo(who: &str, n: usize) -> String {
    let info = serde_json::json!({
        "sub": format!("bench-sub-{who}{n}"),
        "email": email(who, n),
        "preferred_username": format!("bench{who}{n}"),
        "name": format!("Bench {who} {n}"),
    });
    base64::engine::general_purpose::STANDARD.encode(info.to_string())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn signed_in(r: reqwest::RequestBuilder, header: &str) -> reqwest::RequestBuilder {
    r.header("x-userinfo", header)
        .header("cookie", format!("csrftoken={CSRF}"))
        .header("x-csrftoken", CSRF)
}

/// How a step ended: an answer (status, body), or none because the server died.
pub async fn answer(r: reqwest::RequestBuilder) -> Option<(u16, String)> {
    let r = r.send().await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.ok()?))
}

/// The purchase's steps; `Err(None)` when an answer did not arrive, `Err(Some(status))` when
/// a step was refused.
pub async fn purchase(
    c: &reqwest::Client,
    base: &str,
    header: &str,
    product: i64,
) -> Result<i64, Option<u16>> {
    let ok = |a: Option<(u16, String)>, want: u16| match a {
        Some((s, body)) if s == want => Ok(body),
        other => Err(other.map(|(s, _)| s)),
    };
    let basket = c.post(format!("{base}/api/v0/baskets/create_from_product/{product}/"));
    match answer(signed_in(basket, header)).await {
        Some((s, _)) if (200..300).contains(&s) => {}
        other => return Err(other.map(|(s, _)| s)),
    }
    let checkout = ok(
        answer(signed_in(
            c.get(format!("{base}/api/v0/baskets/checkout/")),
            header,
        ))
        .await,
        200,
    )?;
    let checkout: Value = serde_json::from_str(&checkout).map_err(|_| Some(200))?;
    let fields: Vec<(String, String)> = checkout["payload"]
        .as_object()
        .ok_or(Some(200u16))?
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(t) => t.clone(),
                Value::Null => "None".to_owned(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect();
    let url = checkout["url"].as_str().ok_or(Some(200u16))?;
    let page = ok(answer(c.post(url).form(&fields)).await, 200)?;
    let action = form_actions(&page)
        .find(|a| a.contains("/sandbox/cybersource/pay/"))
        .ok_or(Some(200u16))?;
    let accept = c.post(format!("{base}{action}")).form(&[("decision", "accept")]);
    let result = hidden_inputs(&ok(answer(accept).await, 200)?);
    let back = c
        .post(format!("{base}/checkout/result/"))
        .form(&result)
        .send()
        .await;
    let back = back.map_err(|_| None)?;
    let location = back
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("");
    if back.status() == 303 && location.contains("payment=accepted") {
        checkout["order_id"].as_i64().ok_or(Some(303))
    } else {
        Err(Some(back.status().as_u16()))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn form_actions(html: &str) -> impl Iterator<Item = String> + '_ {
    html.split("action=\"")
        .skip(1)
        .filter_map(|c| c.split_once('"').map(|(a, _)| unescape(a)))
}

fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|chunk| {
            let (name, rest) = chunk.split_once("\" value=\"")?;
            Some((unescape(name), unescape(rest.split_once('"')?.0)))
        })
        .collect()
}
