//! The sandbox Open Exchange Rates: the two documents the real API serves, with a fixed table
//! of mid-2026 rates (units per US dollar), including the currencies the job skips.

/// `latest.json` (base USD).
pub const LATEST_JSON: &str = r#"{
  "disclaimer": "Sandbox exchange rates: fixed values for development and tests.",
  "license": "https://openexchangerates.org/license",
  "timestamp": 1780300800,
  "base": "USD",
  "rates": {
    "AUD": 1.52134, "BRL": 5.43851, "CAD": 1.37215, "CHF": 0.88412, "CNY": 7.18935,
    "COP": 4052.17, "CUC": 1.0, "CUP": 24.0, "EGP": 48.6021, "EUR": 0.92147,
    "GBP": 0.78523, "GHS": 15.1044, "IDR": 16245.5, "INR": 83.4217, "IRR": 42105.0,
    "JPY": 156.812, "KES": 129.253, "KPW": 900.0, "KRW": 1372.46, "MXN": 17.0452,
    "NGN": 1478.33, "PHP": 58.6214, "PKR": 278.115, "SYP": 13002.0, "TRY": 32.2471,
    "UAH": 40.1103, "USD": 1, "VND": 25452.0, "ZAR": 18.4312
  }
}"#;

/// `currencies.json`.
pub const CURRENCIES_JSON: &str = r#"{
  "AUD": "Australian Dollar", "BRL": "Brazilian Real", "CAD": "Canadian Dollar",
  "CHF": "Swiss Franc", "CNY": "Chinese Yuan", "COP": "Colombian Peso",
  "CUC": "Cuban Convertible Peso", "CUP": "Cuban Peso", "EGP": "Egyptian Pound",
  "EUR": "Euro", "GBP": "British Pound Sterling", "GHS": "Ghanaian Cedi",
  "IDR": "Indonesian Rupiah", "INR": "Indian Rupee", "IRR": "Iranian Rial",
  "JPY": "Japanese Yen", "KES": "Kenyan Shilling", "KPW": "North Korean Won",
  "KRW": "South Korean Won", "MXN": "Mexican Peso", "NGN": "Nigerian Naira",
  "PHP": "Philippine Peso", "PKR": "Pakistani Rupee", "SYP": "Syrian Pound",
  "TRY": "Turkish Lira", "UAH": "Ukrainian Hryvnia", "USD": "United States Dollar",
  "VND": "Vietnamese Dong", "ZAR": "South African Rand"
}"#;
