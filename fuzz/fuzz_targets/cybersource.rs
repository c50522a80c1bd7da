//! The CyberSource Secure Acceptance result form (`CallbackForm`): parsing the signed POST,
//! verifying its signature, decoding the fields it covers.
//!
//! Must hold beyond "no panic":
//! - a form we signed verifies, and decodes to what was signed;
//! - a signed form changed in any way (a value, a name, an added or removed field, the
//!   signature, `signed_field_names`) is accepted only if the message it verifies is exactly
//!   the one we signed, under the signature we computed: the verifier never accepts a form
//!   whose signature it did not compute;
//! - an accepted form has exactly the signed fields, with the values, that were signed (a
//!   value holding `,<name>=` cannot re-cut the message into other fields);
//! - the same form never verifies under another key;
//! - decoding never reads a field outside `signed_field_names`.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mitxonline_fuzz::cybersource::callback::{CallbackForm, Decision, VerifyError};
use mitxonline_fuzz::cybersource::signing::{message, sign_fields};

const KEY: &str = "fuzz-security-key";
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const NAMES: &[&str] = &[
    "decision",
    "reason_code",
    "message",
    "transaction_id",
    "req_reference_number",
    "req_amount",
    "req_currency",
    "req_transaction_uuid",
    "req_bill_to_forename",
    "auth_amount",
];

fn name(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.ratio(3, 4)? {
        (*u.choose(NAMES)?).to_owned()
    } else {
        u.arbitrary::<String>()?
    })
}

fn value(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(4)? {
        0 => (*u.choose(&["ACCEPT", "DECLINE", "REVIEW", "CANCEL", "ERROR", "100", "10.00"])?).to_owned(),
        _ => u.arbitrary::<String>()?,
    })
}

/// What decoding may read: only names listed in `signed_field_names`.
fn decodes_only_signed_fields(form: &CallbackForm) {
    let signed: Vec<&str> = form
        .get("signed_field_names")
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let listed = |n: &str| signed.contains(&n);
    let r = form.decode();
    assert!(r.decision == Decision::Error || listed("decision"));
    assert!(r.reason_code.is_empty() || listed("reason_code"));
    assert!(r.message.is_empty() || listed("message"));
    assert!(r.transaction_id.is_empty() || listed("transaction_id"));
    assert!(r.reference_number.is_none() || listed("req_reference_number"));
    assert!(r.amount.is_none() || listed("req_amount"));
    assert!(r.currency.is_none() || listed("req_currency"));
    assert!(r.transaction_uuid.is_none() || listed("req_transaction_uuid"));
    let _ = form.to_json();
}

fn signed_fields(form: &CallbackForm) -> Vec<(String, Option<String>)> {
    let names = form.get("signed_field_names").unwrap_or_default();
    names
        .split(',')
        .map(|n| (n.to_owned(), form.get(n).map(str::to_owned)))
        .collect()
}

fn signed_message(form: &CallbackForm) -> Option<String> {
    message(form.get("signed_field_names")?, |n| form.get(n)).ok()
}

fn structured(u: &mut Unstructured<'_>) -> Result<()> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for _ in 0..u.int_in_range(0..=8)? {
        let n = name(u)?;
        // Names a signer can list: no comma, no repeat, not the two the signer adds.
        if n.contains(',')
            || n == "signature"
            || n == "signed_field_names"
            || fields.iter().any(|(k, _)| *k == n)
        {
            continue;
        }
        fields.push((n, value(u)?));
    }
    let signed = sign_fields(KEY, fields);
    let body = serde_urlencoded::to_string(&signed).expect("pairs of strings serialize");
    let form = CallbackForm::from_body(FORM, body.as_bytes()).expect("a serialized form parses");
    assert_eq!(form.fields, signed, "the form round-trips through its body");
    match form.verify(KEY) {
        Ok(()) => {}
        // Names that are not plain words, or values holding `,<name>=`: two readings.
        Err(VerifyError::Ambiguous(_)) => return Ok(()),
        Err(e) => panic!("a form we signed verifies, but: {e}"),
    }
    assert!(form.verify("another-key").is_err(), "a signature binds its key");
    decodes_only_signed_fields(&form);
    let original_message = signed_message(&form).expect("a signed form has its message");
    let original_signature = form.get("signature").expect("signed").to_owned();

    let mut forged = form.clone();
    for _ in 0..u.int_in_range(1..=3)? {
        let len = forged.fields.len();
        match u.choose_index(6)? {
            0 if len > 0 => {
                let i = u.choose_index(len)?;
                forged.fields[i].1 = value(u)?;
            }
            1 if len > 0 => {
                let i = u.choose_index(len)?;
                forged.fields[i].0 = name(u)?;
            }
            2 if len > 0 => {
                let i = u.choose_index(len)?;
                forged.fields.remove(i);
            }
            3 => {
                let i = u.int_in_range(0..=len)?;
                let field = (name(u)?, value(u)?);
                forged.fields.insert(i, field);
            }
            4 => set(&mut forged, "signed_field_names", u.arbitrary::<String>()?),
            _ => set(&mut forged, "signature", u.arbitrary::<String>()?),
        }
    }
    if forged.verify(KEY).is_ok() {
        assert_eq!(
            signed_message(&forged).as_deref(),
            Some(original_message.as_str()),
            "an accepted form carries the message we signed"
        );
        assert_eq!(forged.get("signature"), Some(original_signature.as_str()));
        assert_eq!(
            signed_fields(&forged),
            signed_fields(&form),
            "an accepted form has the signed fields we signed, each with its value"
        );
    }
    decodes_only_signed_fields(&forged);
    Ok(())
}

fn set(form: &mut CallbackForm, name: &str, value: String) {
    match form.fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value,
        None => form.fields.push((name.to_owned(), value)),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // The raw POST body, as a browser or an attacker sends it.
        if let Ok(form) = CallbackForm::from_body(FORM, rest) {
            let _ = form.verify(KEY);
            decodes_only_signed_fields(&form);
        }
    } else {
        let _ = structured(&mut Unstructured::new(rest));
    }
});
