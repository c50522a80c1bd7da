//! Countries (ISO 3166-1 alpha-2) and the US and Canadian subdivisions (ISO 3166-2) that
//! addresses are validated against, with the names the original shows (pycountry's common
//! names, states sorted by name). Plain data, shared with the catalog's `/api/countries/`.

/// A country: code, display name.
pub struct Country {
    pub code: &'static str,
    pub name: &'static str,
}

/// A state or province: ISO 3166-2 code (`US-MA`), name.
pub struct Subdivision {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every country, in the order the original lists them.
pub static COUNTRIES: &[Country] = &[
    Country {
        code: "AF",
        name: "Afghanistan",
    },
    Country {
        code: "AL",
        name: "Albania",
    },
    Country {
        code: "DZ",
        name: "Algeria",
    },
    Country {
        code: "AS",
        name: "American Samoa",
    },
    Country {
        code: "AD",
        name: "Andorra",
    },
    Country {
        code: "AO",
        name: "Angola",
    },
    Country {
        code: "AI",
        name: "Anguilla",
    },
    Country {
        code: "AQ",
        name: "Antarctica",
    },
    Country {
        code: "AG",
        name: "Antigua and Barbuda",
    },
    Country {
        code: "AR",
        name: "Argentina",
    },
    Country {
        code: "AM",
        name: "Armenia",
    },
    Country {
        code: "AW",
        name: "Aruba",
    },
    Country {
        code: "AU",
        name: "Australia",
    },
    Country {
        code: "AT",
        name: "Austria",
    },
    Country {
        code: "AZ",
        name: "Azerbaijan",
    },
    Country {
        code: "BS",
        name: "Bahamas",
    },
    Country {
        code: "BH",
        name: "Bahrain",
    },
    Country {
        code: "BD",
        name: "Bangladesh",
    },
    Country {
        code: "BB",
        name: "Barbados",
    },
    Country {
        code: "BY",
        name: "Belarus",
    },
    Country {
        code: "BE",
        name: "Belgium",
    },
    Country {
        code: "BZ",
        name: "Belize",
    },
    Country {
        code: "BJ",
        name: "Benin",
    },
    Country {
        code: "BM",
        name: "Bermuda",
    },
    Country {
        code: "BT",
        name: "Bhutan",
    },
    Country {
        code: "BO",
        name: "Bolivia",
    },
    Country {
        code: "BQ",
        name: "Bonaire, Sint Eustatius and Saba",
    },
    Country {
        code: "BA",
        name: "Bosnia and Herzegovina",
    },
    Country {
        code: "BW",
        name: "Botswana",
    },
    Country {
        code: "BV",
        name: "Bouvet Island",
    },
    Country {
        code: "BR",
        name: "Brazil",
    },
    Country {
        code: "IO",
        name: "British Indian Ocean Territory",
    },
    Country {
        code: "BN",
        name: "Brunei Darussalam",
    },
    Country {
        code: "BG",
        name: "Bulgaria",
    },
    Country {
        code: "BF",
        name: "Burkina Faso",
    },
    Country {
        code: "BI",
        name: "Burundi",
    },
    Country {
        code: "CV",
        name: "Cabo Verde",
    },
    Country {
        code: "KH",
        name: "Cambodia",
    },
    Country {
        code: "CM",
        name: "Cameroon",
    },
    Country {
        code: "CA",
        name: "Canada",
    },
    Country {
        code: "KY",
        name: "Cayman Islands",
    },
    Country {
        code: "CF",
        name: "Central African Republic",
    },
    Country {
        code: "TD",
        name: "Chad",
    },
    Country {
        code: "CL",
        name: "Chile",
    },
    Country {
        code: "CN",
        name: "China",
    },
    Country {
        code: "CX",
        name: "Christmas Island",
    },
    Country {
        code: "CC",
        name: "Cocos (Keeling) Islands",
    },
    Country {
        code: "CO",
        name: "Colombia",
    },
    Country {
        code: "KM",
        name: "Comoros",
    },
    Country {
        code: "CG",
        name: "Congo",
    },
    Country {
        code: "CD",
        name: "Congo, The Democratic Republic of the",
    },
    Country {
        code: "CK",
        name: "Cook Islands",
    },
    Country {
        code: "CR",
        name: "Costa Rica",
    },
    Country {
        code: "HR",
        name: "Croatia",
    },
    Country {
        code: "CU",
        name: "Cuba",
    },
    Country {
        code: "CW",
        name: "Curaçao",
    },
    Country {
        code: "CY",
        name: "Cyprus",
    },
    Country {
        code: "CZ",
        name: "Czechia",
    },
    Country {
        code: "CI",
        name: "Côte d'Ivoire",
    },
    Country {
        code: "DK",
        name: "Denmark",
    },
    Country {
        code: "DJ",
        name: "Djibouti",
    },
    Country {
        code: "DM",
        name: "Dominica",
    },
    Country {
        code: "DO",
        name: "Dominican Republic",
    },
    Country {
        code: "EC",
        name: "Ecuador",
    },
    Country {
        code: "EG",
        name: "Egypt",
    },
    Country {
        code: "SV",
        name: "El Salvador",
    },
    Country {
        code: "GQ",
        name: "Equatorial Guinea",
    },
    Country {
        code: "ER",
        name: "Eritrea",
    },
    Country {
        code: "EE",
        name: "Estonia",
    },
    Country {
        code: "SZ",
        name: "Eswatini",
    },
    Country {
        code: "ET",
        name: "Ethiopia",
    },
    Country {
        code: "FK",
        name: "Falkland Islands (Malvinas)",
    },
    Country {
        code: "FO",
        name: "Faroe Islands",
    },
    Country {
        code: "FJ",
        name: "Fiji",
    },
    Country {
        code: "FI",
        name: "Finland",
    },
    Country {
        code: "FR",
        name: "France",
    },
    Country {
        code: "GF",
        name: "French Guiana",
    },
    Country {
        code: "PF",
        name: "French Polynesia",
    },
    Country {
        code: "TF",
        name: "French Southern Territories",
    },
    Country {
        code: "GA",
        name: "Gabon",
    },
    Country {
        code: "GM",
        name: "Gambia",
    },
    Country {
        code: "GE",
        name: "Georgia",
    },
    Country {
        code: "DE",
        name: "Germany",
    },
    Country {
        code: "GH",
        name: "Ghana",
    },
    Country {
        code: "GI",
        name: "Gibraltar",
    },
    Country {
        code: "GR",
        name: "Greece",
    },
    Country {
        code: "GL",
        name: "Greenland",
    },
    Country {
        code: "GD",
        name: "Grenada",
    },
    Country {
        code: "GP",
        name: "Guadeloupe",
    },
    Country {
        code: "GU",
        name: "Guam",
    },
    Country {
        code: "GT",
        name: "Guatemala",
    },
    Country {
        code: "GG",
        name: "Guernsey",
    },
    Country {
        code: "GN",
        name: "Guinea",
    },
    Country {
        code: "GW",
        name: "Guinea-Bissau",
    },
    Country {
        code: "GY",
        name: "Guyana",
    },
    Country {
        code: "HT",
        name: "Haiti",
    },
    Country {
        code: "HM",
        name: "Heard Island and McDonald Islands",
    },
    Country {
        code: "VA",
        name: "Holy See (Vatican City State)",
    },
    Country {
        code: "HN",
        name: "Honduras",
    },
    Country {
        code: "HK",
        name: "Hong Kong",
    },
    Country {
        code: "HU",
        name: "Hungary",
    },
    Country {
        code: "IS",
        name: "Iceland",
    },
    Country {
        code: "IN",
        name: "India",
    },
    Country {
        code: "ID",
        name: "Indonesia",
    },
    Country {
        code: "IR",
        name: "Iran",
    },
    Country {
        code: "IQ",
        name: "Iraq",
    },
    Country {
        code: "IE",
        name: "Ireland",
    },
    Country {
        code: "IM",
        name: "Isle of Man",
    },
    Country {
        code: "IL",
        name: "Israel",
    },
    Country {
        code: "IT",
        name: "Italy",
    },
    Country {
        code: "JM",
        name: "Jamaica",
    },
    Country {
        code: "JP",
        name: "Japan",
    },
    Country {
        code: "JE",
        name: "Jersey",
    },
    Country {
        code: "JO",
        name: "Jordan",
    },
    Country {
        code: "KZ",
        name: "Kazakhstan",
    },
    Country {
        code: "KE",
        name: "Kenya",
    },
    Country {
        code: "KI",
        name: "Kiribati",
    },
    Country {
        code: "KP",
        name: "North Korea",
    },
    Country {
        code: "KR",
        name: "South Korea",
    },
    Country {
        code: "KW",
        name: "Kuwait",
    },
    Country {
        code: "KG",
        name: "Kyrgyzstan",
    },
    Country {
        code: "LA",
        name: "Laos",
    },
    Country {
        code: "LV",
        name: "Latvia",
    },
    Country {
        code: "LB",
        name: "Lebanon",
    },
    Country {
        code: "LS",
        name: "Lesotho",
    },
    Country {
        code: "LR",
        name: "Liberia",
    },
    Country {
        code: "LY",
        name: "Libya",
    },
    Country {
        code: "LI",
        name: "Liechtenstein",
    },
    Country {
        code: "LT",
        name: "Lithuania",
    },
    Country {
        code: "LU",
        name: "Luxembourg",
    },
    Country {
        code: "MO",
        name: "Macao",
    },
    Country {
        code: "MG",
        name: "Madagascar",
    },
    Country {
        code: "MW",
        name: "Malawi",
    },
    Country {
        code: "MY",
        name: "Malaysia",
    },
    Country {
        code: "MV",
        name: "Maldives",
    },
    Country {
        code: "ML",
        name: "Mali",
    },
    Country {
        code: "MT",
        name: "Malta",
    },
    Country {
        code: "MH",
        name: "Marshall Islands",
    },
    Country {
        code: "MQ",
        name: "Martinique",
    },
    Country {
        code: "MR",
        name: "Mauritania",
    },
    Country {
        code: "MU",
        name: "Mauritius",
    },
    Country {
        code: "YT",
        name: "Mayotte",
    },
    Country {
        code: "MX",
        name: "Mexico",
    },
    Country {
        code: "FM",
        name: "Micronesia, Federated States of",
    },
    Country {
        code: "MD",
        name: "Moldova",
    },
    Country {
        code: "MC",
        name: "Monaco",
    },
    Country {
        code: "MN",
        name: "Mongolia",
    },
    Country {
        code: "ME",
        name: "Montenegro",
    },
    Country {
        code: "MS",
        name: "Montserrat",
    },
    Country {
        code: "MA",
        name: "Morocco",
    },
    Country {
        code: "MZ",
        name: "Mozambique",
    },
    Country {
        code: "MM",
        name: "Myanmar",
    },
    Country {
        code: "NA",
        name: "Namibia",
    },
    Country {
        code: "NR",
        name: "Nauru",
    },
    Country {
        code: "NP",
        name: "Nepal",
    },
    Country {
        code: "NL",
        name: "Netherlands",
    },
    Country {
        code: "NC",
        name: "New Caledonia",
    },
    Country {
        code: "NZ",
        name: "New Zealand",
    },
    Country {
        code: "NI",
        name: "Nicaragua",
    },
    Country {
        code: "NE",
        name: "Niger",
    },
    Country {
        code: "NG",
        name: "Nigeria",
    },
    Country {
        code: "NU",
        name: "Niue",
    },
    Country {
        code: "NF",
        name: "Norfolk Island",
    },
    Country {
        code: "MK",
        name: "North Macedonia",
    },
    Country {
        code: "MP",
        name: "Northern Mariana Islands",
    },
    Country {
        code: "NO",
        name: "Norway",
    },
    Country {
        code: "OM",
        name: "Oman",
    },
    Country {
        code: "PK",
        name: "Pakistan",
    },
    Country {
        code: "PW",
        name: "Palau",
    },
    Country {
        code: "PS",
        name: "Palestine, State of",
    },
    Country {
        code: "PA",
        name: "Panama",
    },
    Country {
        code: "PG",
        name: "Papua New Guinea",
    },
    Country {
        code: "PY",
        name: "Paraguay",
    },
    Country {
        code: "PE",
        name: "Peru",
    },
    Country {
        code: "PH",
        name: "Philippines",
    },
    Country {
        code: "PN",
        name: "Pitcairn",
    },
    Country {
        code: "PL",
        name: "Poland",
    },
    Country {
        code: "PT",
        name: "Portugal",
    },
    Country {
        code: "PR",
        name: "Puerto Rico",
    },
    Country {
        code: "QA",
        name: "Qatar",
    },
    Country {
        code: "RO",
        name: "Romania",
    },
    Country {
        code: "RU",
        name: "Russian Federation",
    },
    Country {
        code: "RW",
        name: "Rwanda",
    },
    Country {
        code: "RE",
        name: "Réunion",
    },
    Country {
        code: "BL",
        name: "Saint Barthélemy",
    },
    Country {
        code: "SH",
        name: "Saint Helena, Ascension and Tristan da Cunha",
    },
    Country {
        code: "KN",
        name: "Saint Kitts and Nevis",
    },
    Country {
        code: "LC",
        name: "Saint Lucia",
    },
    Country {
        code: "MF",
        name: "Saint Martin (French part)",
    },
    Country {
        code: "PM",
        name: "Saint Pierre and Miquelon",
    },
    Country {
        code: "VC",
        name: "Saint Vincent and the Grenadines",
    },
    Country {
        code: "WS",
        name: "Samoa",
    },
    Country {
        code: "SM",
        name: "San Marino",
    },
    Country {
        code: "ST",
        name: "Sao Tome and Principe",
    },
    Country {
        code: "SA",
        name: "Saudi Arabia",
    },
    Country {
        code: "SN",
        name: "Senegal",
    },
    Country {
        code: "RS",
        name: "Serbia",
    },
    Country {
        code: "SC",
        name: "Seychelles",
    },
    Country {
        code: "SL",
        name: "Sierra Leone",
    },
    Country {
        code: "SG",
        name: "Singapore",
    },
    Country {
        code: "SX",
        name: "Sint Maarten (Dutch part)",
    },
    Country {
        code: "SK",
        name: "Slovakia",
    },
    Country {
        code: "SI",
        name: "Slovenia",
    },
    Country {
        code: "SB",
        name: "Solomon Islands",
    },
    Country {
        code: "SO",
        name: "Somalia",
    },
    Country {
        code: "ZA",
        name: "South Africa",
    },
    Country {
        code: "GS",
        name: "South Georgia and the South Sandwich Islands",
    },
    Country {
        code: "SS",
        name: "South Sudan",
    },
    Country {
        code: "ES",
        name: "Spain",
    },
    Country {
        code: "LK",
        name: "Sri Lanka",
    },
    Country {
        code: "SD",
        name: "Sudan",
    },
    Country {
        code: "SR",
        name: "Suriname",
    },
    Country {
        code: "SJ",
        name: "Svalbard and Jan Mayen",
    },
    Country {
        code: "SE",
        name: "Sweden",
    },
    Country {
        code: "CH",
        name: "Switzerland",
    },
    Country {
        code: "SY",
        name: "Syria",
    },
    Country {
        code: "TW",
        name: "Taiwan",
    },
    Country {
        code: "TJ",
        name: "Tajikistan",
    },
    Country {
        code: "TZ",
        name: "Tanzania",
    },
    Country {
        code: "TH",
        name: "Thailand",
    },
    Country {
        code: "TL",
        name: "Timor-Leste",
    },
    Country {
        code: "TG",
        name: "Togo",
    },
    Country {
        code: "TK",
        name: "Tokelau",
    },
    Country {
        code: "TO",
        name: "Tonga",
    },
    Country {
        code: "TT",
        name: "Trinidad and Tobago",
    },
    Country {
        code: "TN",
        name: "Tunisia",
    },
    Country {
        code: "TM",
        name: "Turkmenistan",
    },
    Country {
        code: "TC",
        name: "Turks and Caicos Islands",
    },
    Country {
        code: "TV",
        name: "Tuvalu",
    },
    Country {
        code: "TR",
        name: "Türkiye",
    },
    Country {
        code: "UG",
        name: "Uganda",
    },
    Country {
        code: "UA",
        name: "Ukraine",
    },
    Country {
        code: "AE",
        name: "United Arab Emirates",
    },
    Country {
        code: "GB",
        name: "United Kingdom",
    },
    Country {
        code: "US",
        name: "United States",
    },
    Country {
        code: "UM",
        name: "United States Minor Outlying Islands",
    },
    Country {
        code: "UY",
        name: "Uruguay",
    },
    Country {
        code: "UZ",
        name: "Uzbekistan",
    },
    Country {
        code: "VU",
        name: "Vanuatu",
    },
    Country {
        code: "VE",
        name: "Venezuela",
    },
    Country {
        code: "VN",
        name: "Vietnam",
    },
    Country {
        code: "VG",
        name: "Virgin Islands, British",
    },
    Country {
        code: "VI",
        name: "Virgin Islands, U.S.",
    },
    Country {
        code: "WF",
        name: "Wallis and Futuna",
    },
    Country {
        code: "EH",
        name: "Western Sahara",
    },
    Country {
        code: "YE",
        name: "Yemen",
    },
    Country {
        code: "ZM",
        name: "Zambia",
    },
    Country {
        code: "ZW",
        name: "Zimbabwe",
    },
    Country {
        code: "AX",
        name: "Åland Islands",
    },
];

/// Subdivisions of US, sorted by name.
pub static US_SUBDIVISIONS: &[Subdivision] = &[
    Subdivision {
        code: "US-AL",
        name: "Alabama",
    },
    Subdivision {
        code: "US-AK",
        name: "Alaska",
    },
    Subdivision {
        code: "US-AS",
        name: "American Samoa",
    },
    Subdivision {
        code: "US-AZ",
        name: "Arizona",
    },
    Subdivision {
        code: "US-AR",
        name: "Arkansas",
    },
    Subdivision {
        code: "US-CA",
        name: "California",
    },
    Subdivision {
        code: "US-CO",
        name: "Colorado",
    },
    Subdivision {
        code: "US-CT",
        name: "Connecticut",
    },
    Subdivision {
        code: "US-DE",
        name: "Delaware",
    },
    Subdivision {
        code: "US-DC",
        name: "District of Columbia",
    },
    Subdivision {
        code: "US-FL",
        name: "Florida",
    },
    Subdivision {
        code: "US-GA",
        name: "Georgia",
    },
    Subdivision {
        code: "US-GU",
        name: "Guam",
    },
    Subdivision {
        code: "US-HI",
        name: "Hawaii",
    },
    Subdivision {
        code: "US-ID",
        name: "Idaho",
    },
    Subdivision {
        code: "US-IL",
        name: "Illinois",
    },
    Subdivision {
        code: "US-IN",
        name: "Indiana",
    },
    Subdivision {
        code: "US-IA",
        name: "Iowa",
    },
    Subdivision {
        code: "US-KS",
        name: "Kansas",
    },
    Subdivision {
        code: "US-KY",
        name: "Kentucky",
    },
    Subdivision {
        code: "US-LA",
        name: "Louisiana",
    },
    Subdivision {
        code: "US-ME",
        name: "Maine",
    },
    Subdivision {
        code: "US-MD",
        name: "Maryland",
    },
    Subdivision {
        code: "US-MA",
        name: "Massachusetts",
    },
    Subdivision {
        code: "US-MI",
        name: "Michigan",
    },
    Subdivision {
        code: "US-MN",
        name: "Minnesota",
    },
    Subdivision {
        code: "US-MS",
        name: "Mississippi",
    },
    Subdivision {
        code: "US-MO",
        name: "Missouri",
    },
    Subdivision {
        code: "US-MT",
        name: "Montana",
    },
    Subdivision {
        code: "US-NE",
        name: "Nebraska",
    },
    Subdivision {
        code: "US-NV",
        name: "Nevada",
    },
    Subdivision {
        code: "US-NH",
        name: "New Hampshire",
    },
    Subdivision {
        code: "US-NJ",
        name: "New Jersey",
    },
    Subdivision {
        code: "US-NM",
        name: "New Mexico",
    },
    Subdivision {
        code: "US-NY",
        name: "New York",
    },
    Subdivision {
        code: "US-NC",
        name: "North Carolina",
    },
    Subdivision {
        code: "US-ND",
        name: "North Dakota",
    },
    Subdivision {
        code: "US-MP",
        name: "Northern Mariana Islands",
    },
    Subdivision {
        code: "US-OH",
        name: "Ohio",
    },
    Subdivision {
        code: "US-OK",
        name: "Oklahoma",
    },
    Subdivision {
        code: "US-OR",
        name: "Oregon",
    },
    Subdivision {
        code: "US-PA",
        name: "Pennsylvania",
    },
    Subdivision {
        code: "US-PR",
        name: "Puerto Rico",
    },
    Subdivision {
        code: "US-RI",
        name: "Rhode Island",
    },
    Subdivision {
        code: "US-SC",
        name: "South Carolina",
    },
    Subdivision {
        code: "US-SD",
        name: "South Dakota",
    },
    Subdivision {
        code: "US-TN",
        name: "Tennessee",
    },
    Subdivision {
        code: "US-TX",
        name: "Texas",
    },
    Subdivision {
        code: "US-UM",
        name: "United States Minor Outlying Islands",
    },
    Subdivision {
        code: "US-UT",
        name: "Utah",
    },
    Subdivision {
        code: "US-VT",
        name: "Vermont",
    },
    Subdivision {
        code: "US-VI",
        name: "Virgin Islands, U.S.",
    },
    Subdivision {
        code: "US-VA",
        name: "Virginia",
    },
    Subdivision {
        code: "US-WA",
        name: "Washington",
    },
    Subdivision {
        code: "US-WV",
        name: "West Virginia",
    },
    Subdivision {
        code: "US-WI",
        name: "Wisconsin",
    },
    Subdivision {
        code: "US-WY",
        name: "Wyoming",
    },
];

/// Subdivisions of CA, sorted by name.
pub static CA_SUBDIVISIONS: &[Subdivision] = &[
    Subdivision {
        code: "CA-AB",
        name: "Alberta",
    },
    Subdivision {
        code: "CA-BC",
        name: "British Columbia",
    },
    Subdivision {
        code: "CA-MB",
        name: "Manitoba",
    },
    Subdivision {
        code: "CA-NB",
        name: "New Brunswick",
    },
    Subdivision {
        code: "CA-NL",
        name: "Newfoundland and Labrador",
    },
    Subdivision {
        code: "CA-NT",
        name: "Northwest Territories",
    },
    Subdivision {
        code: "CA-NS",
        name: "Nova Scotia",
    },
    Subdivision {
        code: "CA-NU",
        name: "Nunavut",
    },
    Subdivision {
        code: "CA-ON",
        name: "Ontario",
    },
    Subdivision {
        code: "CA-PE",
        name: "Prince Edward Island",
    },
    Subdivision {
        code: "CA-QC",
        name: "Quebec",
    },
    Subdivision {
        code: "CA-SK",
        name: "Saskatchewan",
    },
    Subdivision {
        code: "CA-YT",
        name: "Yukon",
    },
];

/// The country with this alpha-2 code (exact, upper case).
pub fn country(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code == code)
}

/// The states listed for a country (US and CA only; empty for the rest, as in the original).
pub fn subdivisions(country_code: &str) -> &'static [Subdivision] {
    match country_code {
        "US" => US_SUBDIVISIONS,
        "CA" => CA_SUBDIVISIONS,
        _ => &[],
    }
}

/// Whether `code` is a known subdivision of `country_code` (only US and CA are checked).
pub fn is_subdivision_of(country_code: &str, code: &str) -> bool {
    subdivisions(country_code).iter().any(|s| s.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_code_is_two_upper_case_letters_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in COUNTRIES {
            assert!(c.code.len() == 2 && c.code.chars().all(|ch| ch.is_ascii_uppercase()));
            assert!(seen.insert(c.code), "duplicate {}", c.code);
        }
        assert!(country("US").is_some() && country("ZZ").is_none());
    }

    #[test]
    fn us_and_canadian_subdivisions_are_known_and_others_are_not() {
        assert!(is_subdivision_of("US", "US-MA"));
        assert!(is_subdivision_of("CA", "CA-QC"));
        assert!(!is_subdivision_of("US", "CA-QC"));
        assert!(!is_subdivision_of("US", "US-XX"));
        assert!(subdivisions("FR").is_empty());
    }
}
