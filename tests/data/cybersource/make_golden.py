"""Golden vectors for our CyberSource code, produced by the original's own library.

Runs mitol-django-payment-gateway (the Python package MITx Online uses) with fixed inputs and
writes golden.json next to this file. Nothing here talks to the network: the CyberSource REST
SDK's HTTP pool is replaced by a recorder that returns scripted replies.

    .venv/bin/python tests/data/cybersource/make_golden.py

Regenerate only when the oracle changes; the Rust unit tests compare byte for byte.
"""

import json
import pathlib
import uuid
from decimal import Decimal
from unittest import mock

import django
from django.conf import settings

SECURITY_KEY = "golden-security-key-0123456789abcdef"
MERCHANT_SECRET = "c2VjcmV0LWtleS1mb3ItZ29sZGVuLXZlY3RvcnMtMDEyMzQ1Njc4OQ=="
settings.configure(
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "mitol.common.apps.CommonApp",
        "mitol.payment_gateway.apps.PaymentGatewayApp",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
    TIME_ZONE="UTC",
    ECOMMERCE_DEFAULT_PAYMENT_GATEWAY="CyberSource",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_ACCESS_KEY="golden-access-key",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_PROFILE_ID="GOLDEN-PROFILE-0001",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_SECURITY_KEY=SECURITY_KEY,
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_SECURE_ACCEPTANCE_URL="https://testsecureacceptance.cybersource.com/pay",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_MERCHANT_ID="golden_merchant",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_MERCHANT_SECRET_KEY_ID="11111111-2222-3333-4444-555555555555",
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_MERCHANT_SECRET=MERCHANT_SECRET,
    MITOL_PAYMENT_GATEWAY_CYBERSOURCE_REST_API_ENVIRONMENT="apitest.cybersource.com",
)
django.setup()

import datetime  # noqa: E402

import urllib3  # noqa: E402
from mitol.payment_gateway import api as gw  # noqa: E402  (imports CyberSource first: circular imports)
from authenticationsdk.core.MerchantConfiguration import MerchantConfiguration  # noqa: E402
from CyberSource.api_client import ApiClient  # noqa: E402
from mitol.payment_gateway.exceptions import RefundDuplicateException  # noqa: E402

FIXED_NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
FIXED_HTTP_DATE = "Wed, 04 Mar 2026 05:06:07 GMT"
RECEIPT = "https://mitxonline.example/checkout/result/"


def checkout(name, order, uuid_hex, backoffice=None, merchant_fields=None):
    with mock.patch.object(gw, "now_in_utc", return_value=FIXED_NOW), mock.patch.object(
        gw.uuid, "uuid4", return_value=uuid.UUID(hex=uuid_hex)
    ):
        result = gw.PaymentGateway.start_payment(
            "CyberSource", order, RECEIPT, RECEIPT, backoffice, merchant_fields=merchant_fields
        )
    # The interstitial page renders every value with Django's template engine: str(), None -> "None".
    fields = [[k, "None" if v is None else str(v)] for k, v in result["payload"].items()]
    return {
        "name": name,
        "input": {
            "username": order.username,
            "ip_address": order.ip_address,
            "reference": order.reference,
            "items": [
                {
                    "code": it.code,
                    "name": it.name,
                    "sku": it.sku,
                    "quantity": it.quantity,
                    "unit_price": str(it.unitprice),
                    "tax_amount": str(it.taxable),
                }
                for it in order.items
            ],
            "merchant_fields": list(merchant_fields or []),
            "backoffice_post_url": backoffice,
            "receipt_url": RECEIPT,
            "cancel_url": RECEIPT,
            "signed_date_time_utc": FIXED_NOW.isoformat(),
            "transaction_uuid": uuid_hex,
        },
        "url": result["url"],
        "method": result["method"],
        "fields": fields,
        # What the v0 checkout API returns (a JSONField keeps Python's types: ints, None).
        "payload": result["payload"],
    }


def item(i, price, name=None, code="19", tax=0):
    return gw.CartItem(
        code=code,
        name=name or f"Course run {i}",
        sku=f"{code}-{100 + i}",
        quantity=1,
        unitprice=Decimal(price),
        taxable=tax,
    )


checkouts = [
    checkout(
        "one course run, known IP, basket id as merchant data",
        gw.Order(
            username="learner-one",
            ip_address="192.0.2.10",
            reference="mitxonline-dev-1",
            items=[item(0, "100.00", name="Introduction to Computer Science and Programming")],
        ),
        "0123456789abcdef0123456789abcdef",
        merchant_fields=[7],
    ),
    checkout(
        "twelve lines where byte-wise sorting puts item_10 before item_2, unknown IP signs as None",
        gw.Order(
            username="learner@example.com",
            ip_address=None,
            reference="mitxonline-rc-4242",
            items=[item(i, p) for i, p in enumerate(
                ["10.00", "0.50", "999.99", "1.01", "25.00", "0.00", "12.34", "7.77", "50.00",
                 "3.33", "100.00", "0.01"]
            )],
        ),
        "fedcba9876543210fedcba9876543210",
        merchant_fields=[12345],
    ),
    checkout(
        "long non-ASCII name is cut to 254 characters, tax and quantity add up, back-office URL",
        gw.Order(
            username="ünïcødé_user",
            ip_address="2001:db8::1",
            reference="mitxonline-production-99",
            items=[
                gw.CartItem(
                    code="33",
                    name="Économie — " + "x" * 300,
                    sku="33-5",
                    quantity=3,
                    unitprice=Decimal("33.335"),
                    taxable=Decimal("1.50"),
                ),
                item(1, "0.10", tax=Decimal("0.05")),
            ],
        ),
        "00000000000000000000000000000001",
        backoffice="https://mitxonline.example/api/checkout/result/",
        merchant_fields=[1, "two", 3],
    ),
    checkout(
        "total with a half cent rounds half to even, no merchant fields",
        gw.Order(
            username="halfcent",
            ip_address="198.51.100.7",
            reference="mitxonline-dev-5",
            items=[item(0, "10.125"), item(1, "0.000")],
        ),
        "abcdefabcdefabcdefabcdefabcdefab",
    ),
]

gateway = gw.CyberSourcePaymentGateway()

arbitrary = [
    {"a": "1", "b": "x y"},
    {"decision": "ACCEPT", "req_amount": "100.00", "req_reference_number": "mitxonline-dev-1",
     "transaction_id": "7000000000000000000001", "reason_code": "100", "message": "Request was processed successfully.",
     "req_item_10_name": "ten", "req_item_2_name": "two", "utf8": "✓"},
]
signed = []
for d in arbitrary:
    s = gateway._sign_cybersource_payload(d)
    signed.append({"input": [[k, v] for k, v in d.items()], "fields": [[k, str(v)] for k, v in s.items()]})


class FakeRequest:
    def __init__(self, method, data):
        self.method = method
        self.POST = data if method == "POST" else {}
        self.GET = data if method == "GET" else {}


callback = dict(signed[1]["fields"])
tampered = {**callback, "req_amount": "1.00"}
verifications = [
    {"name": "as signed", "fields": list(callback.items()),
     "valid": gateway.perform_processor_response_validation(FakeRequest("POST", callback))},
    {"name": "amount changed after signing", "fields": list(tampered.items()),
     "valid": gateway.perform_processor_response_validation(FakeRequest("POST", tampered))},
]

decisions = []
for value in ["ACCEPT", "DECLINE", "REVIEW", "CANCEL", "ERROR", "PENDING", "", None, "accept", "SOMETHING"]:
    data = {"reason_code": "100", "message": "m", "transaction_id": "t"}
    if value is not None:
        data["decision"] = value
    decisions.append({"decision": value, "state": gateway.decode_processor_response(FakeRequest("POST", data)).state})


# ---- REST: record what the SDK sends, reply with scripted bodies ----
recorded = []
replies = []


class FakeHTTPResponse:
    def __init__(self, status, body):
        self.status = status
        self.reason = "scripted"
        self.data = body.encode("utf-8")

    def getheaders(self):
        return {"Content-Type": "application/json"}

    def getheader(self, name, default=None):
        return self.getheaders().get(name, default)


def fake_request(self, method, url, body=None, headers=None, **kwargs):
    recorded.append({"method": method, "url": url, "headers": dict(headers or {}),
                     "body": body if isinstance(body, str) or body is None else body.decode()})
    status, payload = replies.pop(0)
    return FakeHTTPResponse(status, json.dumps(payload))


def rest_call(fn):
    recorded.clear()
    with mock.patch.object(urllib3.PoolManager, "request", fake_request), mock.patch.object(
        MerchantConfiguration, "get_time", return_value=FIXED_HTTP_DATE
    ), mock.patch.object(ApiClient, "get_client_id", return_value="cybs-rest-sdk-python-golden"):
        try:
            result = fn()
            outcome = {"ok": result}
        except RefundDuplicateException as e:
            outcome = {"duplicate": str(e)}
        except Exception as e:  # noqa: BLE001
            outcome = {"error": type(e).__name__}
    req = recorded[0]
    keep = ["v-c-merchant-id", "Date", "Host", "Digest", "Signature", "Content-Type", "Accept"]
    return {"request": {"method": req["method"], "url": req["url"], "body": req["body"],
                        "headers": {k: req["headers"][k] for k in keep if k in req["headers"]}},
            "outcome": outcome}


refund = gw.Refund(transaction_id="7000000000000000000001", refund_amount="100.00", refund_currency="USD")
replies.append((201, {"id": "7100000000000000000002", "status": "PENDING",
                      "processorInformation": {"responseCode": "100"},
                      "refundAmountDetails": {"refundAmount": "100.00", "currency": "USD"}}))
refund_ok = rest_call(lambda: {k: v for k, v in gateway.perform_refund(refund).__dict__.items()
                               if k != "response_data"})
replies.append((400, {"submitTimeUtc": "2026-03-04T05:06:07Z", "status": "INVALID_REQUEST",
                      "reason": "DUPLICATE_REQUEST", "message": "Declined - The merchantReferenceCode sent with this authorization request matches the merchantReferenceCode of another authorization request that you sent in the last 15 minutes."}))
refund_dup = rest_call(lambda: gateway.perform_refund(refund))

replies.append((201, {"searchId": "s-1", "save": False, "name": "MITOL", "timezone": "UTC",
                      "query": "q", "offset": 0, "limit": 20, "sort": "submitTimeUtc:desc",
                      "count": 2, "totalCount": 2,
                      "_embedded": {"transactionSummaries": [
                          {"id": "7000000000000000000009", "submitTimeUtc": "2026-03-04T05:00:00Z",
                           "clientReferenceInformation": {"code": "mitxonline-dev-2"}},
                          {"id": "7000000000000000000001", "submitTimeUtc": "2026-03-03T05:00:00Z",
                           "clientReferenceInformation": {"code": "mitxonline-dev-1"}}]}}))
search = rest_call(lambda: gateway.find_transactions(["mitxonline-dev-1", "mitxonline-dev-2"]))

details_reply = {
    "id": "7000000000000000000001", "rootId": "7000000000000000000001",
    "submitTimeUTC": "2026-03-03T05:00:00Z",
    "applicationInformation": {"reasonCode": "100", "applications": [
        {"name": "ics_auth", "reasonCode": "100", "rMessage": "Request was processed successfully."},
        {"name": "ics_bill", "reasonCode": "100", "rMessage": "Request was processed successfully."}]},
    "processorInformation": {"approvalCode": "831000", "responseCode": "00", "networkTransactionId": "016153570198200",
                             "avs": {"code": "Y", "codeRaw": "Y"}},
    "orderInformation": {"amountDetails": {"totalAmount": "100.00", "authorizedAmount": "100.00", "currency": "USD"},
                         "billTo": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                                    "address1": "1 Main St", "locality": "Cambridge", "administrativeArea": "MA",
                                    "postalCode": "02139", "country": "US"},
                         "lineItems": [{"productCode": "19", "productName": "Course run 0", "productSku": "19-100",
                                        "quantity": 1, "unitPrice": "100.00", "taxAmount": "0"}]},
    "paymentInformation": {"card": {"expirationMonth": "12", "expirationYear": "2031", "type": "001"}},
    "buyerInformation": {"merchantCustomerId": "abc123"},
    "deviceInformation": {"ipAddress": "192.0.2.10"},
    "clientReferenceInformation": {"code": "mitxonline-dev-1"},
    "merchantDefinedInformation": [{"key": "1", "value": "7"}],
}
replies.append((200, details_reply))
details = rest_call(lambda: gateway.get_transaction_details("7000000000000000000001")[1])
details["reply"] = details_reply

out = {
    "security_key": SECURITY_KEY,
    "merchant": {"id": "golden_merchant", "key_id": "11111111-2222-3333-4444-555555555555",
                 "secret": MERCHANT_SECRET, "host": "apitest.cybersource.com", "date": FIXED_HTTP_DATE},
    "checkouts": checkouts,
    "signed": signed,
    "verifications": verifications,
    "decisions": decisions,
    "refund_ok": refund_ok,
    "refund_duplicate": refund_dup,
    "search": search,
    "details": details,
}
path = pathlib.Path(__file__).with_name("golden.json")
path.write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
print(f"wrote {path}")
