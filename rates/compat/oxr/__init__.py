"""Open Exchange Rates-compatible API, at the original paths under /api/.

    latest.json                        latest rates              app_id required
    historical/YYYY-MM-DD.json         rates at the end of a day app_id required
    currencies.json                    code -> name              open
    time-series.json?start=&end=       rates for each day        app_id required
    convert/{value}/{from}/{to}        one conversion            app_id required

Shapes follow OXR's documentation (docs.openexchangerates.org: /latest.json, /historical/*.json,
/currencies.json, /time-series.json, /convert, "Errors", "Authentication", "Get Specific
Currencies"): rate answers carry disclaimer, license, timestamp, base and rates (the base in
rates at 1), the time series start_date, end_date, base and rates by date (no timestamp), the
conversion request, meta {timestamp, rate} and response. Errors are
{"error": true, "status": …, "message": …, "description": …} with the HTTP status of `status`:
missing_app_id / invalid_app_id 401, not_allowed 403, not_found 404, invalid_base 400, and
not_available 400 for a date without rates (as recorded in OXR client libraries' test
fixtures; those also show not_allowed as 403, where the errors page now says 429). Messages OXR
does not document (invalid_symbols, invalid_date, invalid_date_range, invalid_parameter,
invalid_value, invalid_currency, method_not_allowed) are Koel's, in the same shape.

The key is the app_id query parameter or an "Authorization: Token <key>" header (the parameter
wins, as documented), checked by rates.compat.keys.key_is_valid before any cached answer is
looked up (rates.compat.http). Unknown query parameters are ignored; an empty or malformed
value of a known one is a 4xx. Symbols Koel does not know are left out of the answer ("where
available"); none at all is an error.

Modules: errors (OXR's error body and its door, a rates.compat.http.Layer), params (the query
parameters), views (the endpoints and their answers).
"""
