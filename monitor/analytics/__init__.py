"""Volatility and correlation of pairs' log returns over a window (`/api/v1/analytics/`).

The method, in one place (docs/monitor.md, "Analytics API", says the same):

* **Buckets.** The window [end − window, end) is cut into the UTC grid of the interval
  (rates.types.BUCKET_ORIGIN: days start at midnight, weeks on Monday); the first and last bucket
  may be partial. A bucket's value is its close, the last rate of the pair observed in it, read
  through rates.reads.history: direct, else inverse, else cross through a pivot, as every
  reader of Koel gets the pair. A bucket with no observation has no value.
* **Log returns.** r_t = ln(close_t / close_{t−1}) between adjacent buckets only: a gap (a
  bucket without a value) drops the returns on either side of it rather than spanning it, as a
  return over two intervals would inflate a per-interval deviation. `observations` counts the
  returns used.
* **Volatility.** The sample standard deviation (n − 1) of a pair's returns, per interval;
  annualised (`annualize=true`) times sqrt(periods per year) of a 365-day calendar year (the
  buckets are calendar time, weekends included, not a 252-day trading year): sqrt(365) for
  days, sqrt(365 × 288) for 5 minutes. Undefined (null,
  with the reason) below 2 returns; a pair that did not move has volatility 0.
* **Correlation.** Pearson's correlation of the pairs' returns at the buckets where every pair
  has one (`observations` says how many). Undefined (null, with the reason) below 2 such
  returns, and for a pair whose returns there are constant: it has no variance to correlate.
"""
